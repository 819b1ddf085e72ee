#include "ingest/frame_sampler.hpp"

#include "ingest/video_decoder.hpp"

#include <algorithm>

namespace curator::ingest {

namespace {
// Past this gap, seeking (a keyframe jump plus decoding up to the frame) beats grabbing every frame.
constexpr int64_t kSeekGap = 300;
} // namespace

std::vector<int64_t> sample_indices(int64_t frame_count, int count, int every) {
  std::vector<int64_t> out;
  if (frame_count <= 0 || count <= 0) return out;
  if (every > 0) {
    for (int64_t i = 0; i < frame_count && static_cast<int>(out.size()) < count; i += every) out.push_back(i);
    return out;
  }
  const int64_t n = std::min<int64_t>(count, frame_count);
  for (int64_t i = 0; i < n; ++i) out.push_back((2 * i + 1) * frame_count / (2 * n));
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void stream_frames(const std::filesystem::path& video, const std::vector<int64_t>& indices, double fps,
                   const std::function<void(SampledFrame&&)>& on_frame, int64_t* decoded_frames,
                   const std::atomic<bool>* stop, bool skip_unsampled) {
  if (decoded_frames) *decoded_frames = 0;
  VideoDecoder decoder(video);
  if (!decoder.is_open()) return;
  size_t next = 0; // the first index still wanted
  const auto wanted = [&](int64_t i) { return std::binary_search(indices.begin() + next, indices.end(), i); };
  int64_t position = 0; // the index after the last frame handed out
  while (next < indices.size()) {
    if (!decoded_frames && indices[next] - position > kSeekGap && decoder.seek(indices[next])) position = indices[next];
    auto frame = decoder.next(wanted, !decoded_frames || skip_unsampled, stop);
    if (!frame) break;
    position = frame->index + 1;
    while (next < indices.size() && indices[next] <= frame->index) ++next;
    SampledFrame f{frame->index, fps > 0 ? static_cast<double>(frame->index) / fps : 0.0, std::move(frame->rgb)};
    on_frame(std::move(f));
  }
  if (decoded_frames) {
    while (decoder.next([](int64_t) { return false; }, skip_unsampled, stop)) {
    }
    if (!(stop && stop->load())) *decoded_frames = decoder.frames_read();
  }
}

std::vector<SampledFrame> sample_frames(const std::filesystem::path& video, const std::vector<int64_t>& indices,
                                        double fps, int64_t* decoded_frames, bool skip_unsampled) {
  std::vector<SampledFrame> frames;
  stream_frames(
      video, indices, fps,
      [&](SampledFrame&& f) { frames.push_back(std::move(f)); },
      decoded_frames, nullptr, skip_unsampled);
  return frames;
}

} // namespace curator::ingest
