#include "synth/face_mask.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <vector>

namespace curator::synth {

namespace {

cv::Rect2f bounds(const faces::Landmarks68& lm) {
  float x0 = lm[0].x, y0 = lm[0].y, x1 = x0, y1 = y0;
  for (const auto& p : lm) x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
  return {x0, y0, x1 - x0, y1 - y0};
}

int odd(double v) { return std::max(1, static_cast<int>(v) | 1); }

} // namespace

cv::Rect face_region(cv::Size frame, const faces::Landmarks68& lm, double margin) {
  const auto b = bounds(lm);
  const double mx = b.width * margin, my = b.height * margin;
  const cv::Rect grown(static_cast<int>(b.x - mx), static_cast<int>(b.y - my), static_cast<int>(b.width + 2 * mx) + 1,
                       static_cast<int>(b.height + 2 * my) + 1);
  return grown & cv::Rect(0, 0, frame.width, frame.height);
}

cv::Mat hull_mask(cv::Size frame, const faces::Landmarks68& lm) {
  std::vector<cv::Point> points, hull;
  for (const auto& p : lm) points.emplace_back(cvRound(p.x), cvRound(p.y));
  cv::convexHull(points, hull);
  cv::Mat mask = cv::Mat::zeros(frame, CV_32F);
  cv::fillConvexPoly(mask, hull, cv::Scalar(1.0));
  return mask;
}

MaskParams draw_mask(Rng& rng) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  MaskParams p;
  p.morph = 0.02 + 0.06 * unit(rng);
  p.grow = unit(rng) >= 0.5;
  p.amplitude = 0.04 * unit(rng);
  p.blur = 0.03 + 0.12 * unit(rng);
  p.field_seed = rng();
  return p;
}

nlohmann::json to_json(const MaskParams& p) {
  return {{"grow", p.grow}, {"morph", p.morph}, {"amplitude", p.amplitude}, {"blur", p.blur}, {"field_seed", p.field_seed}};
}

cv::Mat deformed_mask(cv::Size frame, const faces::Landmarks68& lm, const MaskParams& p) {
  const auto b = bounds(lm);
  const double size = std::max(b.width, b.height);
  cv::Mat mask = hull_mask(frame, lm);
  const cv::Rect region = face_region(frame, lm);
  if (region.empty()) return cv::Mat::zeros(frame, CV_32F);
  const int k = odd(size * p.morph);
  const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, {k, k});
  cv::Mat roi = mask(region);
  if (p.grow) cv::dilate(roi, roi, kernel);
  else cv::erode(roi, roi, kernel);
  // The displacement field on a fixed grid over the region, stretched to the region: it moves with the face.
  constexpr int kGrid = 64;
  cv::Mat dx(kGrid, kGrid, CV_32F), dy(kGrid, kGrid, CV_32F);
  cv::RNG cv_rng(p.field_seed);
  cv_rng.fill(dx, cv::RNG::UNIFORM, -1.0, 1.0), cv_rng.fill(dy, cv::RNG::UNIFORM, -1.0, 1.0);
  cv::GaussianBlur(dx, dx, {11, 11}, 0), cv::GaussianBlur(dy, dy, {11, 11}, 0);
  double lo, hi;
  cv::minMaxLoc(cv::abs(dx), &lo, &hi);
  const double norm = hi > 1e-6 ? p.amplitude * size / hi : 0;
  cv::resize(dx, dx, region.size(), 0, 0, cv::INTER_LINEAR), cv::resize(dy, dy, region.size(), 0, 0, cv::INTER_LINEAR);
  cv::Mat map_x(region.size(), CV_32F), map_y(region.size(), CV_32F);
  for (int y = 0; y < region.height; ++y)
    for (int x = 0; x < region.width; ++x) {
      map_x.at<float>(y, x) = static_cast<float>(x + norm * dx.at<float>(y, x));
      map_y.at<float>(y, x) = static_cast<float>(y + norm * dy.at<float>(y, x));
    }
  cv::Mat bent;
  cv::remap(roi.clone(), bent, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  // Feather: at most a sixth of the face (the region's margin keeps it inside).
  const int blur = odd(size * p.blur);
  cv::GaussianBlur(bent, bent, {blur, blur}, 0);
  mask = cv::Mat::zeros(frame, CV_32F);
  bent.copyTo(mask(region));
  return mask;
}

cv::Mat feathered_hull(cv::Size frame, const faces::Landmarks68& lm, double feather) {
  const auto b = bounds(lm);
  cv::Mat mask = hull_mask(frame, lm);
  const cv::Rect region = face_region(frame, lm);
  if (region.empty()) return mask;
  const int k = odd(std::max(b.width, b.height) * feather);
  cv::Mat roi = mask(region);
  cv::erode(roi, roi, cv::getStructuringElement(cv::MORPH_ELLIPSE, {k, k}));
  cv::GaussianBlur(roi, roi, {2 * k + 1, 2 * k + 1}, 0);
  return mask;
}

cv::Mat blend(const cv::Mat& top, const cv::Mat& bottom, const cv::Mat& mask) {
  CV_Assert(top.size() == bottom.size() && top.type() == CV_8UC3 && bottom.type() == CV_8UC3 && mask.type() == CV_32F);
  cv::Mat t, b, m3, out;
  top.convertTo(t, CV_32FC3), bottom.convertTo(b, CV_32FC3);
  cv::merge(std::vector<cv::Mat>{mask, mask, mask}, m3);
  cv::Mat mixed = t.mul(m3) + b.mul(cv::Scalar::all(1.0) - m3);
  mixed.convertTo(out, CV_8UC3);
  return out;
}

} // namespace curator::synth
