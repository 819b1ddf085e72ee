#pragma once
//! Broken data in a video's first video stream: packets that decode to no frame. ffprobe counts them
//! (FFmpeg's own decoder, in its own process, so a hostile file cannot take the daemon down): the
//! packets alone by reading the container, or packets and frames by a full decode. Thread-safe.
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

/// How many packets the first video stream has: ffprobe only reads the container (no decoding), so
/// this is cheap. Compared with the frames a full decode gave (ingest/frame_sampler.hpp), it stands in
/// for check_decode() when every packet gave a frame. Nothing when ffprobe cannot run or gives no count.
std::optional<int64_t> count_packets(const std::filesystem::path& video,
                                     std::chrono::seconds limit = std::chrono::seconds(120));

/// The same, started now on another thread.
std::future<std::optional<int64_t>> count_packets_async(const std::filesystem::path& video);

} // namespace curator::ingest
