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

namespace {

// Where each output row (or column) of a TF legacy bilinear resize of a `side`-long padded axis to `size`
// reads the image (src = dst * side / size in float, as tf::resize_bilinear_legacy computes it): the two
// image indices (-1: the zero padding) and the weight of the second.
struct Taps {
  std::vector<int> lo, hi;
  std::vector<float> frac;
};

Taps taps(int64_t side, int size, int from, int count, int64_t pad, int extent) {
  const float scale = static_cast<float>(side) / static_cast<float>(size);
  auto inside = [&](int64_t i) { return i - pad >= 0 && i - pad < extent ? static_cast<int>(i - pad) : -1; };
  Taps t;
  for (int i = from; i < from + count; ++i) {
    const float src = static_cast<float>(i) * scale;
    const int64_t lo = std::min(static_cast<int64_t>(std::floor(src)), side - 1), hi = std::min(lo + 1, side - 1);
    t.lo.push_back(inside(lo));
    t.hi.push_back(inside(hi));
    t.frac.push_back(src - static_cast<float>(lo));
  }
  return t;
}

// `window` of rgb padded to a `side` square (image at (pad_x, pad_y)) and resized to `size`: float HWC
// memory, returned as a CHW view. The arithmetic is tf::resize_bilinear_legacy's, step for step.
torch::Tensor resized_window(const cv::Mat& rgb, int64_t side, int64_t pad_x, int64_t pad_y, int size,
                             const cv::Rect& window) {
  if (rgb.empty() || rgb.channels() != 3 || rgb.depth() != CV_8U) throw InvalidInput("expected an 8-bit RGB image");
  const Taps ys = taps(side, size, window.y, window.height, pad_y, rgb.rows);
  const Taps xs = taps(side, size, window.x, window.width, pad_x, rgb.cols);
  auto out = torch::empty({window.height, window.width, 3}, torch::kFloat32);
  float* o = out.data_ptr<float>();
  for (int r = 0; r < window.height; ++r) {
    const uint8_t* row0 = ys.lo[r] >= 0 ? rgb.ptr<uint8_t>(ys.lo[r]) : nullptr;
    const uint8_t* row1 = ys.hi[r] >= 0 ? rgb.ptr<uint8_t>(ys.hi[r]) : nullptr;
    const float fy = ys.frac[r];
    for (int c = 0; c < window.width; ++c, o += 3) {
      const float fx = xs.frac[c];
      const int x0 = xs.lo[c], x1 = xs.hi[c];
      for (int ch = 0; ch < 3; ++ch) {
        auto at = [&](const uint8_t* row, int x) { return row && x >= 0 ? static_cast<float>(row[3 * x + ch]) : 0.f; };
        const float top = at(row0, x0) * (1 - fx) + at(row0, x1) * fx;
        const float bottom = at(row1, x0) * (1 - fx) + at(row1, x1) * fx;
        o[ch] = top * (1 - fy) + bottom * fy;
      }
    }
  }
  return out.permute({2, 0, 1});
}

} // namespace

torch::Tensor square_resized_chw(const cv::Mat& rgb, int size, bool centre) {
  const int64_t h = rgb.rows, w = rgb.cols, side = std::max(h, w);
  const int64_t diff = side - std::min(h, w);
  const int64_t prepend = diff - (centre ? static_cast<int64_t>(std::round(diff * 0.5)) : diff);
  return resized_window(rgb, side, h < w ? 0 : prepend, h < w ? prepend : 0, size, cv::Rect(0, 0, size, size));
}

torch::Tensor square_resized_window_chw(const cv::Mat& rgb, int size, const cv::Rect& window) {
  if ((window & cv::Rect(0, 0, size, size)) != window || window.empty()) throw InvalidInput("window outside the image");
  return resized_window(rgb, std::max(rgb.rows, rgb.cols), 0, 0, size, window);
}

} // namespace curator::faces
