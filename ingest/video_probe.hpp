#pragma once
//! Reads a video's basic facts by opening it with OpenCV's FFmpeg backend and decoding its first frame.
//! Untrusted input: any file that cannot be opened or decoded raises curator::InvalidInput with a reason
//! fit to show the submitter. Thread-safe (no shared state).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace curator::ingest {

struct VideoInfo {
  int width = 0;
  int height = 0;
  double fps = 0;
  int64_t frame_count = 0; ///< as the container reports it (may be an estimate)
  double duration_s = 0;   ///< frame_count / fps
  std::string codec;       ///< FourCC, e.g. "avc1", "mp4v"
  nlohmann::json to_json() const;
};

VideoInfo probe_video(const std::filesystem::path& file);

} // namespace curator::ingest
