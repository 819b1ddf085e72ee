#include "ingest/faces/face_types.hpp"

#include <algorithm>
#include <cmath>

namespace curator::faces {

float FaceBox::iou(const FaceBox& o) const {
  const float ix = std::max(0.f, std::min(x + width, o.x + o.width) - std::max(x, o.x));
  const float iy = std::max(0.f, std::min(y + height, o.y + o.height) - std::max(y, o.y));
  const float inter = ix * iy;
  const float uni = width * height + o.width * o.height - inter;
  return uni > 0 ? inter / uni : 0.f;
}

float embedding_distance(const Embedding& a, const Embedding& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += double(a[i] - b[i]) * double(a[i] - b[i]);
  return static_cast<float>(std::sqrt(s));
}

std::vector<std::vector<FaceBox>> FaceDetector::detect_near(const cv::Mat& rgb, const std::vector<FaceBox>& near,
                                                            float /*context*/, float min_score) const {
  if (near.empty()) return {};
  return std::vector<std::vector<FaceBox>>(near.size(), detect(rgb, min_score));
}

} // namespace curator::faces
