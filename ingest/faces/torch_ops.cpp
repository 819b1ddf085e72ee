#include "ingest/faces/torch_ops.hpp"

namespace curator::faces::tf {

torch::Tensor tensor(const TfjsTensor& t) {
  return torch::from_blob(const_cast<float*>(t.values.data()), t.shape, torch::kFloat32).clone();
}

torch::Tensor conv_filter(const TfjsTensor& t) { return channels_last(tensor(t).permute({3, 2, 0, 1})); }

torch::Tensor depthwise_filter(const TfjsTensor& t) { return channels_last(tensor(t).permute({2, 3, 0, 1})); }

torch::Tensor channels_last(const torch::Tensor& x) { return x.contiguous(at::MemoryFormat::ChannelsLast); }

namespace {
// oneDNN directly: torch::conv2d's heuristics route small batches on few threads to a generic path that
// is about 10x slower here (shared/reference/face-api/README.md).
// `pad`: rows and columns of zeros on both sides. The result is channels-last.
torch::Tensor conv(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& bias, int64_t stride,
                   int64_t groups, const int64_t pad[2]) {
  const int64_t s[2] = {stride, stride}, one[2] = {1, 1};
  if (x.is_cpu() && x.scalar_type() == torch::kFloat32)
    return torch::mkldnn_convolution(channels_last(x), channels_last(w),
                                     bias.defined() ? c10::optional<torch::Tensor>(bias) : c10::nullopt, {pad, 2}, s,
                                     one, groups);
  return channels_last(torch::conv2d(x, w, bias, s, {pad, 2}, one, groups));
}

std::pair<int64_t, int64_t> same_pad(int64_t in, int64_t k, int stride) {
  const int64_t out = (in + stride - 1) / stride;
  const int64_t total = std::max<int64_t>((out - 1) * stride + k - in, 0);
  return {total / 2, total - total / 2};
}
} // namespace

torch::Tensor conv_same(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& bias, int stride,
                        int64_t groups) {
  auto [top, bottom] = same_pad(x.size(2), w.size(2), stride);
  auto [left, right] = same_pad(x.size(3), w.size(3), stride);
  // Symmetric padding is the convolution's own (no padded copy of the input).
  if (top == bottom && left == right) {
    const int64_t pad[2] = {top, left};
    return conv(x, w, bias, stride, groups, pad);
  }
  // A zero-padded channels-last copy (F::pad would return it channels-first); only the border is zeroed.
  const int64_t h = x.size(2), w_ = x.size(3);
  auto padded = torch::empty({x.size(0), x.size(1), h + top + bottom, w_ + left + right},
                             x.options().memory_format(at::MemoryFormat::ChannelsLast));
  padded.slice(2, 0, top).zero_(), padded.slice(2, top + h).zero_();
  auto rows = padded.slice(2, top, top + h);
  rows.slice(3, 0, left).zero_(), rows.slice(3, left + w_).zero_();
  rows.slice(3, left, left + w_).copy_(x);
  const int64_t none[2] = {0, 0};
  return conv(padded, w, bias, stride, groups, none);
}

torch::Tensor conv_valid(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& bias, int stride) {
  const int64_t none[2] = {0, 0};
  return conv(x, w, bias, stride, 1, none);
}

torch::Tensor resize_bilinear_legacy(const torch::Tensor& chw, int64_t out_h, int64_t out_w) {
  const int64_t in_h = chw.size(1), in_w = chw.size(2);
  auto coords = [](int64_t out, int64_t in) {
    auto src = torch::arange(out, torch::kFloat32) * (static_cast<float>(in) / static_cast<float>(out));
    auto lo = src.floor().clamp_max(in - 1).to(torch::kLong);
    auto hi = (lo + 1).clamp_max(in - 1);
    auto frac = src - lo.to(torch::kFloat32);
    return std::make_tuple(lo, hi, frac);
  };
  auto [y0, y1, fy] = coords(out_h, in_h);
  auto [x0, x1, fx] = coords(out_w, in_w);
  auto rows0 = chw.index_select(1, y0), rows1 = chw.index_select(1, y1);
  auto top = rows0.index_select(2, x0) * (1 - fx) + rows0.index_select(2, x1) * fx;
  auto bottom = rows1.index_select(2, x0) * (1 - fx) + rows1.index_select(2, x1) * fx;
  return top * (1 - fy).view({1, -1, 1}) + bottom * fy.view({1, -1, 1});
}

} // namespace curator::faces::tf
