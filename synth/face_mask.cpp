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

cv::Mat random_blend_mask(cv::Size frame, const faces::Landmarks68& lm, Rng& rng, double min_ratio) {
  const auto b = bounds(lm);
  const double size = std::max(b.width, b.height);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  cv::Mat mask = hull_mask(frame, lm);
  const cv::Rect region = face_region(frame, lm);
  if (region.empty()) return cv::Mat::zeros(frame, CV_32F);
  // Shrink or grow the hull a little.
  const int k = odd(size * (0.02 + 0.06 * unit(rng)));
  const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, {k, k});
  cv::Mat roi = mask(region);
  if (unit(rng) < 0.5) cv::erode(roi, roi, kernel);
  else cv::dilate(roi, roi, kernel);
  // A smooth random displacement field over the face region (elastic deformation).
  cv::Mat dx(region.size(), CV_32F), dy(region.size(), CV_32F);
  const double amplitude = size * 0.04 * unit(rng);
  const int smooth = odd(size * 0.25);
  cv::RNG cv_rng(rng());
  cv_rng.fill(dx, cv::RNG::UNIFORM, -1.0, 1.0), cv_rng.fill(dy, cv::RNG::UNIFORM, -1.0, 1.0);
  cv::GaussianBlur(dx, dx, {smooth, smooth}, 0), cv::GaussianBlur(dy, dy, {smooth, smooth}, 0);
  double lo, hi;
  cv::minMaxLoc(cv::abs(dx), &lo, &hi);
  const double norm = hi > 1e-6 ? amplitude / hi : 0;
  cv::Mat map_x(region.size(), CV_32F), map_y(region.size(), CV_32F);
  for (int y = 0; y < region.height; ++y)
    for (int x = 0; x < region.width; ++x) {
      map_x.at<float>(y, x) = static_cast<float>(x + norm * dx.at<float>(y, x));
      map_y.at<float>(y, x) = static_cast<float>(y + norm * dy.at<float>(y, x));
    }
  cv::Mat bent;
  cv::remap(roi.clone(), bent, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  // Feather: a random blur, at most a sixth of the face (the region's margin keeps it inside).
  const int blur = odd(size * (0.03 + 0.12 * unit(rng)));
  cv::GaussianBlur(bent, bent, {blur, blur}, 0);
  const double ratio = min_ratio + (1.0 - min_ratio) * unit(rng);
  mask = cv::Mat::zeros(frame, CV_32F);
  mask(region) += bent * ratio;
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
