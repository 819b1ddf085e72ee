#include "ingest/video_checks.hpp"

#include "core/config.hpp"
#include "core/setting_keys.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <bitset>
#include <cstring>
#include <cmath>
#include <sstream>

namespace curator::ingest {

VideoLimits VideoLimits::from_config(const core::Config& c) {
  VideoLimits l;
  l.max_duration_s = c.get(core::keys::ingest_max_duration_s);
  l.min_side_px = static_cast<int>(c.get(core::keys::ingest_min_side_px));
  l.max_side_px = static_cast<int>(c.get(core::keys::ingest_max_side_px));
  l.min_frames = c.get(core::keys::ingest_min_frames);
  l.max_fps = c.get(core::keys::ingest_max_fps);
  l.max_frame_pixels = c.get(core::keys::ingest_max_frame_pixels);
  return l;
}

std::optional<std::string> check_video(const VideoInfo& v, const VideoLimits& l) {
  std::ostringstream why;
  if (v.width < l.min_side_px || v.height < l.min_side_px)
    why << "frames are " << v.width << "x" << v.height << ", smaller than the minimum side of " << l.min_side_px << " px";
  else if (v.width > l.max_side_px || v.height > l.max_side_px)
    why << "frames are " << v.width << "x" << v.height << ", larger than the maximum side of " << l.max_side_px << " px";
  else if (static_cast<int64_t>(v.width) * v.height > l.max_frame_pixels)
    why << "frames are " << v.width << "x" << v.height << " (" << static_cast<int64_t>(v.width) * v.height / 1000000
        << " megapixels), more than the limit of " << l.max_frame_pixels / 1000000
        << " megapixels a frame (ingest.max_frame_pixels)";
  else if (!(v.fps > 0) || v.fps > l.max_fps)
    why << "frame rate " << v.fps << " fps is not plausible (allowed: above 0, at most " << l.max_fps << ")";
  else if (v.frame_count < l.min_frames)
    why << "only " << v.frame_count << " frames; at least " << l.min_frames << " are needed (a still image is not a video)";
  else if (v.duration_s > l.max_duration_s)
    why << "duration " << v.duration_s << " s is longer than the limit of " << l.max_duration_s << " s";
  else
    return std::nullopt;
  return why.str();
}

uint64_t dhash(const cv::Mat& image) {
  cv::Mat grey, small;
  if (image.channels() == 3) cv::cvtColor(image, grey, cv::COLOR_RGB2GRAY);
  else grey = image;
  cv::resize(grey, small, cv::Size(9, 8), 0, 0, cv::INTER_AREA);
  uint64_t h = 0;
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x) h = (h << 1) | (small.at<uint8_t>(y, x) < small.at<uint8_t>(y, x + 1) ? 1u : 0u);
  return h;
}

std::vector<uint8_t> hash_bytes(const std::vector<uint64_t>& hashes) {
  std::vector<uint8_t> out(hashes.size() * 8);
  if (!out.empty()) std::memcpy(out.data(), hashes.data(), out.size());
  return out;
}

std::vector<uint64_t> hash_values(const void* data, int bytes) {
  std::vector<uint64_t> out(static_cast<size_t>(std::max(bytes, 0)) / 8);
  if (!out.empty()) std::memcpy(out.data(), data, out.size() * 8);
  return out;
}

double mean_hash_distance(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  if (a.size() != b.size() || a.empty()) return 64;
  double total = 0;
  for (size_t i = 0; i < a.size(); ++i) total += std::bitset<64>(a[i] ^ b[i]).count();
  return total / static_cast<double>(a.size());
}

cv::Mat motion_thumbnail(const cv::Mat& rgb) {
  cv::Mat grey, small;
  cv::cvtColor(rgb, grey, cv::COLOR_RGB2GRAY);
  cv::resize(grey, small, cv::Size(64, 64), 0, 0, cv::INTER_AREA);
  return small;
}

FrameSignature frame_signature(const cv::Mat& rgb) {
  cv::Mat grey; // one conversion for both: dhash() and motion_thumbnail() convert the same way
  cv::cvtColor(rgb, grey, cv::COLOR_RGB2GRAY);
  FrameSignature out{dhash(grey), {}};
  cv::resize(grey, out.thumbnail, cv::Size(64, 64), 0, 0, cv::INTER_AREA);
  return out;
}

FrameSignatures frame_signatures(const std::vector<cv::Mat>& rgb) {
  FrameSignatures out{std::vector<uint64_t>(rgb.size()), std::vector<cv::Mat>(rgb.size())};
  cv::parallel_for_(cv::Range(0, static_cast<int>(rgb.size())), [&](const cv::Range& range) {
    for (int i = range.start; i < range.end; ++i) {
      auto one = frame_signature(rgb[i]);
      out.hashes[i] = one.hash;
      out.thumbnails[i] = std::move(one.thumbnail);
    }
  });
  return out;
}

bool looks_static(const std::vector<cv::Mat>& thumbnails) {
  if (thumbnails.size() < 2) return true;
  for (size_t i = 1; i < thumbnails.size(); ++i) {
    cv::Mat diff;
    cv::absdiff(thumbnails[i], thumbnails[0], diff);
    if (cv::mean(diff)[0] > 0.5) return false;
  }
  return true;
}

} // namespace curator::ingest
