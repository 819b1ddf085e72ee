#pragma once
//! A full decode of a video's first video stream by ffprobe (FFmpeg's own decoder, in its own process,
//! so it runs beside the face work and a hostile file cannot take the daemon down): how many packets the
//! stream has and how many frames decoded from them. Packets that yield no frame are broken data.
//! Thread-safe.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <future>
#include <optional>
#include <string>

namespace curator::ingest {

struct DecodeReport {
  int64_t packets = 0, frames = 0;
  int error_lines = 0; ///< lines ffprobe printed at the error level
  int64_t broken() const { return packets > frames ? packets - frames : 0; }
  double broken_share() const { return packets > 0 ? double(broken()) / double(packets) : 0.0; }
};

/// Runs ffprobe on `video` (killed after `limit`). Nothing when ffprobe cannot run or gives no counts.
std::optional<DecodeReport> check_decode(const std::filesystem::path& video,
                                         std::chrono::seconds limit = std::chrono::seconds(120));

/// The same, started now on another thread.
std::future<std::optional<DecodeReport>> check_decode_async(const std::filesystem::path& video);

} // namespace curator::ingest
