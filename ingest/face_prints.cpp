#include "ingest/face_prints.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace curator::ingest {

namespace {

// Record layout: 4 floats, then the picture.
constexpr size_t kRecord = 4 * sizeof(float) + FacePrint::kSide * FacePrint::kSide;

double mean_of(const std::array<uint8_t, FacePrint::kSide * FacePrint::kSide>& p) {
  double sum = 0;
  for (uint8_t v : p) sum += v;
  return sum / static_cast<double>(p.size());
}

} // namespace

FacePrint face_print_at(const cv::Mat& rgb, float x, float y, float width, float height) {
  FacePrint print;
  if (rgb.empty() || width <= 0 || height <= 0) return print;
  const cv::Rect frame(0, 0, rgb.cols, rgb.rows);
  const cv::Rect box = cv::Rect(static_cast<int>(std::floor(x * rgb.cols)), static_cast<int>(std::floor(y * rgb.rows)),
                                std::max(1, static_cast<int>(std::lround(width * rgb.cols))),
                                std::max(1, static_cast<int>(std::lround(height * rgb.rows)))) &
                       frame;
  if (box.area() <= 0) return print;
  print.x = x, print.y = y, print.width = width, print.height = height;
  cv::Mat grey, small;
  cv::cvtColor(rgb(box), grey, cv::COLOR_RGB2GRAY);
  cv::resize(grey, small, cv::Size(FacePrint::kSide, FacePrint::kSide), 0, 0, cv::INTER_AREA);
  for (int r = 0; r < FacePrint::kSide; ++r)
    std::memcpy(print.grey.data() + r * FacePrint::kSide, small.ptr<uint8_t>(r), FacePrint::kSide);
  return print;
}

FacePrints largest_face_prints(const std::vector<cv::Mat>& rgb_frames,
                               const std::vector<std::vector<faces::DetectedFace>>& found) {
  FacePrints out;
  for (size_t f = 0; f < rgb_frames.size() && f < found.size(); ++f) {
    const faces::DetectedFace* best = nullptr;
    for (const auto& face : found[f])
      if (!best || face.box.width * face.box.height > best->box.width * best->box.height) best = &face;
    const cv::Mat& rgb = rgb_frames[f];
    if (!best || rgb.empty()) {
      out.emplace_back();
      continue;
    }
    out.push_back(face_print_at(rgb, best->box.x / rgb.cols, best->box.y / rgb.rows, best->box.width / rgb.cols,
                                best->box.height / rgb.rows));
  }
  return out;
}

std::vector<uint8_t> face_print_bytes(const FacePrints& prints) {
  std::vector<uint8_t> out(prints.size() * kRecord);
  uint8_t* p = out.data();
  for (const auto& print : prints) {
    const float box[4] = {print.x, print.y, print.width, print.height};
    std::memcpy(p, box, sizeof(box));
    std::memcpy(p + sizeof(box), print.grey.data(), print.grey.size());
    p += kRecord;
  }
  return out;
}

FacePrints face_print_values(const void* data, int bytes) {
  if (bytes <= 0 || static_cast<size_t>(bytes) % kRecord != 0) return {};
  FacePrints out(static_cast<size_t>(bytes) / kRecord);
  const auto* p = static_cast<const uint8_t*>(data);
  for (auto& print : out) {
    float box[4];
    std::memcpy(box, p, sizeof(box));
    print.x = box[0], print.y = box[1], print.width = box[2], print.height = box[3];
    std::memcpy(print.grey.data(), p + sizeof(box), print.grey.size());
    p += kRecord;
  }
  return out;
}

FaceDifference face_difference(const FacePrints& earlier, const std::vector<cv::Mat>& rgb_frames) {
  FaceDifference d;
  if (earlier.size() != rgb_frames.size()) return d;
  double total = 0;
  for (size_t f = 0; f < earlier.size(); ++f) {
    const auto& a = earlier[f];
    if (!a.has_face()) continue;
    const auto b = face_print_at(rgb_frames[f], a.x, a.y, a.width, a.height);
    if (!b.has_face()) continue;
    const double ma = mean_of(a.grey), mb = mean_of(b.grey);
    double sum = 0;
    for (size_t i = 0; i < a.grey.size(); ++i) sum += std::abs((a.grey[i] - ma) - (b.grey[i] - mb));
    total += sum / static_cast<double>(a.grey.size());
    ++d.compared;
  }
  if (d.compared > 0) d.mean_grey = total / d.compared;
  return d;
}

bool same_faces(const FacePrints& earlier, const std::vector<cv::Mat>& rgb_frames, double max_grey) {
  if (earlier.empty() || earlier.size() != rgb_frames.size()) return false;
  const bool any_face = std::any_of(earlier.begin(), earlier.end(), [](const FacePrint& p) { return p.has_face(); });
  if (!any_face) return true;
  const auto d = face_difference(earlier, rgb_frames);
  return d.compared > 0 && d.mean_grey <= max_grey;
}

} // namespace curator::ingest
