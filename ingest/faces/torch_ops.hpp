#pragma once
// TensorFlow semantics in LibTorch, for the face-api ports (private to ingest/faces; includes torch).
#include "ingest/faces/tfjs_weights.hpp"

#include <torch/torch.h>

namespace curator::faces::tf {

/// A tfjs tensor as a torch tensor of the same shape.
torch::Tensor tensor(const TfjsTensor& t);
/// Conv filter [kh, kw, in, out] -> [out, in, kh, kw], channels-last in memory.
torch::Tensor conv_filter(const TfjsTensor& t);
/// Depthwise filter [kh, kw, in, 1] -> [in, 1, kh, kw], channels-last in memory.
torch::Tensor depthwise_filter(const TfjsTensor& t);

/// `x` [N, C, H, W] channels-last in memory (NHWC): the layout the face nets run in, oneDNN's fastest
/// here; convolutions keep it, and the filters above are stored in it, so nothing is reordered per call.
torch::Tensor channels_last(const torch::Tensor& x);

/// Conv2d with TensorFlow "SAME" padding (asymmetric: the extra row/column goes bottom/right). The
/// result is channels-last.
torch::Tensor conv_same(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& bias, int stride,
                        int64_t groups = 1);
torch::Tensor conv_valid(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& bias, int stride);

/// tf.image.resizeBilinear with alignCorners = false, halfPixelCenters = false (src = dst * in / out),
/// on an NHWC-free CHW float tensor [C, H, W].
torch::Tensor resize_bilinear_legacy(const torch::Tensor& chw, int64_t out_h, int64_t out_w);

} // namespace curator::faces::tf
