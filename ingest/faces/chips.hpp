#pragma once
//! Face crops. The identity chip is the recognition net's input built from the 68 landmarks exactly as
//! face-api builds it (useDlibAlignment): a square around the eyes and mouth, zero-padded, resized to
//! 150 px. The training crop follows FaceForensics++: a square 1.3x the detection box around its
//! centre, zero-padded where it leaves the frame, resized to `size`. Pure functions; thread-safe.
#include "ingest/faces/face_types.hpp"

#include <cstdint>
#include <vector>

namespace curator::faces {

/// face-api's descriptor crop box ("dlibRect") from the landmarks.
FaceBox descriptor_rect(const Landmarks68& landmarks);

/// 150x150 CV_32FC3 RGB, values 0..255: the recognition net's input.
cv::Mat identity_chip(const cv::Mat& rgb, const Landmarks68& landmarks);

/// The square a training crop covers: `scale` times the box's longer side, around its centre.
FaceBox training_crop_box(const FaceBox& box, double scale = 1.3);
/// size x size crop in the input's type; `scale` is the box enlargement (1.3 in FF++).
cv::Mat training_crop(const cv::Mat& image, const FaceBox& box, int size = 224, double scale = 1.3);

/// The bytes ingest stores for a training crop given in RGB: JPEG at quality 95.
std::vector<uint8_t> encode_training_crop(const cv::Mat& rgb);
/// A training crop as every model sees it: stored (encode_training_crop) and read back, RGB. Scoring at
/// serve time goes through this so that it sees exactly what training and evaluation read from disk.
cv::Mat stored_training_crop(const cv::Mat& rgb);

} // namespace curator::faces
