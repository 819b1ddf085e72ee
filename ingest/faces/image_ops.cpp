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

} // namespace curator::faces
