#include "ingest/frame_sampler.hpp"

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

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
                   const std::atomic<bool>* stop) {
  auto stopped = [stop] { return stop && stop->load(); };
  if (decoded_frames) *decoded_frames = 0;
  cv::VideoCapture cap(video.string(), cv::CAP_FFMPEG);
  if (!cap.isOpened()) return;
  int64_t position = 0; // index of the next frame grab() returns
  bool ok = true;
  cv::Mat bgr;
  for (int64_t wanted : indices) {
    if (!decoded_frames && wanted - position > kSeekGap) {
      if (cap.set(cv::CAP_PROP_POS_FRAMES, static_cast<double>(wanted))) position = wanted;
    }
    while (position < wanted && !stopped() && (ok = cap.grab())) ++position;
    if (stopped()) return;
    if (!ok || !cap.read(bgr) || bgr.empty()) { // the container promised more frames than it has
      ok = false;
      break;
    }
    ++position;
    SampledFrame f{wanted, fps > 0 ? static_cast<double>(wanted) / fps : 0.0, {}};
    cv::cvtColor(bgr, f.rgb, bgr.channels() == 4 ? cv::COLOR_BGRA2RGB : cv::COLOR_BGR2RGB);
    on_frame(std::move(f));
  }
  if (decoded_frames) {
    while (ok && !stopped() && (ok = cap.grab())) ++position;
    *decoded_frames = position;
  }
}

std::vector<SampledFrame> sample_frames(const std::filesystem::path& video, const std::vector<int64_t>& indices,
                                        double fps, int64_t* decoded_frames) {
  std::vector<SampledFrame> frames;
  stream_frames(
      video, indices, fps,
      [&](SampledFrame&& f) { frames.push_back(std::move(f)); },
      decoded_frames);
  return frames;
}

} // namespace curator::ingest
