#pragma once
//! Validation of a probed video against configured limits, and the perceptual hash used to find
//! re-encoded or resized copies. Pure functions; thread-safe.
#include "ingest/video_probe.hpp"

#include <opencv2/core.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace curator::core {
class Config;
}

namespace curator::ingest {

struct VideoLimits {
  double max_duration_s = 900;
  int min_side_px = 64;
  int max_side_px = 7680;
  int64_t min_frames = 8;
  double max_fps = 240;
  int64_t max_frame_pixels = 3840LL * 2160; ///< width x height a frame, from the header, before decoding
  static VideoLimits from_config(const core::Config& config);
};

/// The reason to reject, or nullopt when the video is acceptable.
std::optional<std::string> check_video(const VideoInfo& info, const VideoLimits& limits);

/// 64-bit difference hash of a frame (grey, 9x8, left < right), robust to re-encoding and resizing.
uint64_t dhash(const cv::Mat& image);

/// Frame hashes as stored in `videos.phash` (8 bytes each, host order) and back.
std::vector<uint8_t> hash_bytes(const std::vector<uint64_t>& hashes);
std::vector<uint64_t> hash_values(const void* data, int bytes);

/// Mean Hamming distance between two equally long hash sequences (64 when lengths differ).
double mean_hash_distance(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b);

/// A small grey copy of a frame for motion checks.
cv::Mat motion_thumbnail(const cv::Mat& rgb);

/// dhash() and motion_thumbnail() of one frame (RGB), from one grey conversion: the same values.
struct FrameSignature {
  uint64_t hash = 0;
  cv::Mat thumbnail;
};
FrameSignature frame_signature(const cv::Mat& rgb);

/// frame_signature() of every frame, the frames spread over OpenCV's threads.
struct FrameSignatures {
  std::vector<uint64_t> hashes;
  std::vector<cv::Mat> thumbnails;
};
FrameSignatures frame_signatures(const std::vector<cv::Mat>& rgb);

/// True when no sampled frame differs from the first by more than half a grey level on average:
/// a still image dressed up as a video. (A talking head's lips and compression noise move more.)
bool looks_static(const std::vector<cv::Mat>& thumbnails);

} // namespace curator::ingest
