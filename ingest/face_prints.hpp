#pragma once
//! Face prints: per sampled frame, where its largest face is (relative to the frame) and a small grey
//! picture of it. Two videos whose whole frames match are copies only when the pictures in those face
//! regions match too: a re-encode or resize keeps them, a face swap or reenactment changes them (while
//! an identity embedding barely moves: the swapped-in face is often the same person). Pure functions;
//! thread-safe.
#include "ingest/faces/face_pipeline.hpp"

#include <opencv2/core.hpp>

#include <array>
#include <cstdint>
#include <vector>

namespace curator::ingest {

struct FacePrint {
  static constexpr int kSide = 24;
  float x = 0, y = 0, width = 0, height = 0; ///< the face box as a share of the frame; width 0: no face
  std::array<uint8_t, kSide * kSide> grey{};  ///< the box's picture, grey, kSide x kSide

  bool has_face() const { return width > 0 && height > 0; }
};
using FacePrints = std::vector<FacePrint>;

/// The print of one frame (8-bit RGB) over a box given as a share of the frame.
FacePrint face_print_at(const cv::Mat& rgb, float x, float y, float width, float height);

/// Per frame, the print of its largest detected face (or none).
FacePrints largest_face_prints(const std::vector<cv::Mat>& rgb_frames,
                               const std::vector<std::vector<faces::DetectedFace>>& found);

/// As stored in `videos.face_prints` (fixed-size records, host order) and back. A blob of the wrong size
/// reads as no prints.
std::vector<uint8_t> face_print_bytes(const FacePrints& prints);
FacePrints face_print_values(const void* data, int bytes);

struct FaceDifference {
  int compared = 0;       ///< frames where the earlier video has a face
  double mean_grey = 0;   ///< mean absolute grey difference (levels of 255), each picture's mean removed
};

/// How far the pictures in `earlier`'s face regions differ in `frames` (equally many; nothing is
/// compared otherwise).
FaceDifference face_difference(const FacePrints& earlier, const std::vector<cv::Mat>& rgb_frames);

/// Whether `rgb_frames` show the same faces as `earlier`: as many frames, and the face regions on
/// average at most `max_grey` levels apart. Footage without faces in `earlier` is the same.
bool same_faces(const FacePrints& earlier, const std::vector<cv::Mat>& rgb_frames, double max_grey);

} // namespace curator::ingest
