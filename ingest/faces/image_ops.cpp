#include "ingest/faces/image_ops.hpp"

#include "core/error.hpp"
#include "ingest/faces/torch_ops.hpp"

#include <cmath>

namespace curator::faces {

cv::Rect clip_and_floor(const FaceBox& b, int image_width, int image_height) {
  const float x = std::max(b.x, 0.f), y = std::max(b.y, 0.f);
  const float w = std::min(b.x + b.width - x, image_width - x);
  const float h = std::min(b.y + b.height - y, image_height - y);
  return cv::Rect(static_cast<int>(std::floor(x)), static_cast<int>(std::floor(y)), static_cast<int>(std::floor(w)),
                  static_cast<int>(std::floor(h)));
}

torch::Tensor square_resized_chw(const cv::Mat& rgb, int size, bool centre) {
  if (rgb.empty() || rgb.channels() != 3) throw InvalidInput("expected a 3-channel RGB image");
  cv::Mat f;
  rgb.convertTo(f, CV_32FC3);
  auto chw = torch::from_blob(f.data, {f.rows, f.cols, 3}, torch::kFloat32).permute({2, 0, 1});
  const int64_t h = f.rows, w = f.cols, side = std::max(h, w);
  const int64_t diff = side - std::min(h, w);
  const int64_t append = centre ? static_cast<int64_t>(std::round(diff * 0.5)) : diff;
  const int64_t prepend = diff - append;
  auto square = torch::zeros({3, side, side});
  using torch::indexing::Slice;
  if (h < w) square.index_put_({Slice(), Slice(prepend, prepend + h), Slice()}, chw);
  else square.index_put_({Slice(), Slice(), Slice(prepend, prepend + w)}, chw);
  return side == size ? square : tf::resize_bilinear_legacy(square, size, size);
}

torch::Tensor square_resized_window_chw(const cv::Mat& rgb, int size, const cv::Rect& window) {
  if (rgb.empty() || rgb.channels() != 3) throw InvalidInput("expected a 3-channel RGB image");
  if ((window & cv::Rect(0, 0, size, size)) != window || window.empty()) throw InvalidInput("window outside the image");
  const int64_t side = std::max(rgb.rows, rgb.cols);
  // The sampling positions of tf::resize_bilinear_legacy over the whole square, then the window's.
  auto coords = [&](int64_t from, int64_t count) {
    auto src = torch::arange(size, torch::kFloat32) * (static_cast<float>(side) / static_cast<float>(size));
    src = src.slice(0, from, from + count);
    auto lo = src.floor().clamp_max(side - 1).to(torch::kLong);
    auto hi = (lo + 1).clamp_max(side - 1);
    return std::make_tuple(lo, hi, src - lo.to(torch::kFloat32));
  };
  auto [y0, y1, fy] = coords(window.y, window.height);
  auto [x0, x1, fx] = coords(window.x, window.width);
  // The source rows and columns those positions read; beyond the image lies the zero padding.
  const int top = static_cast<int>(y0[0].item<int64_t>()), bottom = static_cast<int>(y1[-1].item<int64_t>());
  const int left = static_cast<int>(x0[0].item<int64_t>()), right = static_cast<int>(x1[-1].item<int64_t>());
  const cv::Rect region(left, top, right - left + 1, bottom - top + 1);
  cv::Mat part = cv::Mat::zeros(region.height, region.width, rgb.type());
  const cv::Rect inside = region & cv::Rect(0, 0, rgb.cols, rgb.rows);
  if (!inside.empty()) rgb(inside).copyTo(part(inside - region.tl()));
  cv::Mat f;
  part.convertTo(f, CV_32FC3);
  auto chw = torch::from_blob(f.data, {f.rows, f.cols, 3}, torch::kFloat32).permute({2, 0, 1});
  y0 -= top, y1 -= top, x0 -= left, x1 -= left;
  auto rows0 = chw.index_select(1, y0), rows1 = chw.index_select(1, y1);
  auto upper = rows0.index_select(2, x0) * (1 - fx) + rows0.index_select(2, x1) * fx;
  auto lower = rows1.index_select(2, x0) * (1 - fx) + rows1.index_select(2, x1) * fx;
  return upper * (1 - fy).view({1, -1, 1}) + lower * fy.view({1, -1, 1});
}

} // namespace curator::faces
