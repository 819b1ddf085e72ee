#pragma once
// Image preparation shared by the face-api ports (private to ingest/faces; includes torch).
#include "ingest/faces/face_types.hpp"

#include <torch/torch.h>

namespace curator::faces {

/// face-api's Box.clipAtImageBorders(...).floor(): the box clipped to the image, every field floored.
cv::Rect clip_and_floor(const FaceBox& box, int image_width, int image_height);

/// An 8-bit RGB image as float CHW (0..255), padded with zeros to a square (centred like face-api's
/// padToSquare(x, true), or at the bottom/right when !centre) and resized with TF's legacy bilinear.
torch::Tensor square_resized_chw(const cv::Mat& rgb, int size, bool centre);

/// `window` (in output pixels, inside size x size) of square_resized_chw(rgb, size, false), equal to it
/// value for value, computed from the part of `rgb` the window samples only.
torch::Tensor square_resized_window_chw(const cv::Mat& rgb, int size, const cv::Rect& window);

} // namespace curator::faces
