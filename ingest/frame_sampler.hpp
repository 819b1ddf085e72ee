#pragma once
//! Picks and decodes the frames of a video that ingest looks at: N evenly spaced ones (DeepfakeBench's
//! default is 32) or every k-th. Decodes sequentially and seeks only across long gaps, so a long video
//! costs little more than a short one. Untrusted input: decode failures end the sampling early (the
//! frames read so far are kept) rather than throwing. Thread-safe (no shared state).
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
/// With `decoded_frames`, as sample_frames. Decoding ends early, at the next frame, once `*stop` is true.
void stream_frames(const std::filesystem::path& video, const std::vector<int64_t>& indices, double fps,
                   const std::function<void(SampledFrame&&)>& on_frame, int64_t* decoded_frames = nullptr,
                   const std::atomic<bool>* stop = nullptr);

/// With `decoded_frames`, the whole stream is decoded (no seeking, and on past the last wanted frame)
/// and the frames that decoded are counted there: the decode check of ingest/decode_check.hpp for free.
std::vector<SampledFrame> sample_frames(const std::filesystem::path& video, const std::vector<int64_t>& indices,
                                        double fps, int64_t* decoded_frames = nullptr);

} // namespace curator::ingest
