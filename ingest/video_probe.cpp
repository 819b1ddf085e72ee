#include "ingest/video_probe.hpp"

#include "core/error.hpp"

#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

#include <cmath>

namespace curator::ingest {

nlohmann::json VideoInfo::to_json() const {
  return {{"width", width},           {"height", height},         {"fps", fps},
          {"frame_count", frame_count}, {"duration_s", duration_s}, {"codec", codec}};
}

namespace {
std::string fourcc_text(double value) {
  auto code = static_cast<uint32_t>(value);
  std::string out;
  for (int i = 0; i < 4; ++i) {
    char c = static_cast<char>((code >> (8 * i)) & 0xff);
    if (c >= 32 && c < 127) out += c;
  }
  return out;
}
} // namespace

VideoInfo probe_video(const std::filesystem::path& file) {
  if (!std::filesystem::is_regular_file(file)) throw NotFound("no such video file: " + file.string());
  cv::VideoCapture cap(file.string(), cv::CAP_FFMPEG);
  if (!cap.isOpened())
    throw InvalidInput("not a video the FFmpeg backend can open (unknown container or codec)");
  VideoInfo info;
  info.width = static_cast<int>(cap.get(cv::CAP_PROP_FRAME_WIDTH));
  info.height = static_cast<int>(cap.get(cv::CAP_PROP_FRAME_HEIGHT));
  info.fps = cap.get(cv::CAP_PROP_FPS);
  const double frames = cap.get(cv::CAP_PROP_FRAME_COUNT);
  // Pictures and some streams report no count (NaN or negative): treat as unknown, i.e. zero.
  info.frame_count = std::isfinite(frames) && frames > 0 ? static_cast<int64_t>(frames) : 0;
  info.codec = fourcc_text(cap.get(cv::CAP_PROP_FOURCC));
  if (!std::isfinite(info.fps) || info.fps < 0) info.fps = 0;
  info.duration_s = info.fps > 0 ? static_cast<double>(info.frame_count) / info.fps : 0;
  cv::Mat first;
  if (!cap.read(first) || first.empty())
    throw InvalidInput("the video opens but its first frame cannot be decoded");
  if (info.width <= 0 || info.height <= 0) {
    info.width = first.cols;
    info.height = first.rows;
  }
  return info;
}

} // namespace curator::ingest
