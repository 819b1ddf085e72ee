#pragma once
//! Picks and decodes the frames of a video that ingest looks at: N evenly spaced ones (DeepfakeBench's
//! default is 32) or every k-th. Decodes sequentially (VideoDecoder: frames nobody looks at and no frame
//! refers to are parsed, not decoded) and seeks only across long gaps, so a long video costs little more
//! than a short one. Untrusted input: a frame that fails to decode is left out, and a file that cannot be
//! read gives no frames, rather than throwing. Thread-safe (no shared state).
#include <opencv2/core.hpp>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

namespace curator::ingest {

struct SampledFrame {
  int64_t index;
  double time_s;
  cv::Mat rgb; ///< 8-bit RGB
};

/// Frame indices to sample from `frame_count` frames: `count` evenly spaced (centred in equal bins),
/// or every `every`-th (when every > 0), at most `count` of them.
std::vector<int64_t> sample_indices(int64_t frame_count, int count, int every);

/// Decodes the frames at `indices` (increasing) and hands each to `on_frame` as soon as it is decoded.
/// With `decoded_frames`, as sample_frames. Decoding ends early, at the next packet, once `*stop` is true
/// (`decoded_frames` then stays 0).
void stream_frames(const std::filesystem::path& video, const std::vector<int64_t>& indices, double fps,
                   const std::function<void(SampledFrame&&)>& on_frame, int64_t* decoded_frames = nullptr,
                   const std::atomic<bool>* stop = nullptr, bool skip_unsampled = true);

/// With `decoded_frames`, the whole stream is read (no seeking, and on past the last wanted frame) and its
/// frames that read without an error are counted there: the decode check of ingest/decode_check.hpp for
/// free. With `skip_unsampled`, frames that are not sampled and that no frame refers to count when their
/// packet parses (headers: no picture is decoded; H.264 and HEVC B-frames, about 40% less decoding);
/// without it, every frame's picture is decoded. Without `decoded_frames`, unsampled frames are always
/// skipped where they can be.
std::vector<SampledFrame> sample_frames(const std::filesystem::path& video, const std::vector<int64_t>& indices,
                                        double fps, int64_t* decoded_frames = nullptr, bool skip_unsampled = true);

} // namespace curator::ingest
