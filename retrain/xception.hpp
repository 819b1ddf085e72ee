#pragma once
// Internal to retrain/ (includes LibTorch): Xception, the backbone of FaceForensics++'s detector, with the
// layout and parameter names of Cadene's pretrainedmodels `xception` (conv1, bn1, conv2, bn2, block1..12
// with rep.N / skip / skipbn, conv3, bn3, conv4, bn4), so its ImageNet weights load by name into a
// Detector. Registered on the owning module at top level, as in that model. 2048 features.
#include <torch/torch.h>

#include <string>
#include <vector>

namespace curator::retrain {

/// A depthwise 3x3 convolution (`conv1`, groups = channels) followed by a pointwise 1x1 (`pointwise`).
struct SeparableConv2dImpl : torch::nn::Module {
  SeparableConv2dImpl(int64_t in, int64_t out);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::Conv2d conv1{nullptr}, pointwise{nullptr};
};
TORCH_MODULE(SeparableConv2d);

/// One of Xception's twelve residual blocks: `rep` (ReLU, separable conv, batch norm; repeated; then a
/// max pool when strided) plus a 1x1 `skip` + `skipbn` shortcut when the shape changes.
struct XceptionBlockSpec {
  int64_t in, out;
  int reps, stride;
  bool start_with_relu, grow_first;
};

struct XceptionBlockImpl : torch::nn::Module {
  explicit XceptionBlockImpl(const XceptionBlockSpec& spec);
  torch::Tensor forward(torch::Tensor x);
  XceptionBlockSpec spec;
  torch::nn::Sequential rep{nullptr};
  torch::nn::Conv2d skip{nullptr};
  torch::nn::BatchNorm2d skipbn{nullptr};
};
TORCH_MODULE(XceptionBlock);

/// The twelve blocks' shapes, in order (entry flow 1-3, middle flow 4-11, exit flow 12).
const std::vector<XceptionBlockSpec>& xception_blocks();

/// Xception's convolutional trunk, registered on `owner` under Cadene's names.
struct XceptionTrunk {
  explicit XceptionTrunk(torch::nn::Module& owner);
  /// N x 3 x H x W (H, W >= 32) -> N x 2048 x h x w, after the last batch norm (no ReLU yet).
  torch::Tensor forward(torch::Tensor x);
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr}, bn4{nullptr};
  std::vector<XceptionBlock> blocks;
  SeparableConv2d conv3{nullptr}, conv4{nullptr};
};

/// The index in a block's `rep` of each separable conv and of the batch norm after it, as
/// pretrainedmodels builds it (the ReLUs and the pool take indices too): shared by forward and export.
struct RepLayer {
  int conv, bn;
  int64_t in, out;
};
std::vector<RepLayer> rep_layers(const XceptionBlockSpec& spec);

} // namespace curator::retrain
