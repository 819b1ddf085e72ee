#include "retrain/xception.hpp"

namespace curator::retrain {

namespace nn = torch::nn;

SeparableConv2dImpl::SeparableConv2dImpl(int64_t in, int64_t out) {
  conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(in, in, 3).padding(1).groups(in).bias(false)));
  pointwise = register_module("pointwise", nn::Conv2d(nn::Conv2dOptions(in, out, 1).bias(false)));
}

torch::Tensor SeparableConv2dImpl::forward(torch::Tensor x) { return pointwise(conv1(x)); }

const std::vector<XceptionBlockSpec>& xception_blocks() {
  static const std::vector<XceptionBlockSpec> blocks = [] {
    std::vector<XceptionBlockSpec> b = {{64, 128, 2, 2, false, true}, {128, 256, 2, 2, true, true}, {256, 728, 2, 2, true, true}};
    for (int i = 0; i < 8; ++i) b.push_back({728, 728, 3, 1, true, true});
    b.push_back({728, 1024, 2, 2, true, false});
    return b;
  }();
  return blocks;
}

std::vector<RepLayer> rep_layers(const XceptionBlockSpec& s) {
  // pretrainedmodels lists [ReLU, SepConv, BN] per repetition and drops the first ReLU when the block
  // does not start with one; the channel count grows in the first repetition, or in the last.
  std::vector<RepLayer> out;
  int index = s.start_with_relu ? 1 : 0;
  int64_t channels = s.in;
  for (int r = 0; r < s.reps; ++r) {
    const bool grows = s.grow_first ? r == 0 : r == s.reps - 1;
    const int64_t next = grows ? s.out : channels;
    out.push_back({index, index + 1, channels, next});
    channels = next;
    index += 3;
  }
  return out;
}

XceptionBlockImpl::XceptionBlockImpl(const XceptionBlockSpec& s) : spec(s) {
  rep = nn::Sequential();
  const auto layers = rep_layers(s);
  for (size_t r = 0; r < layers.size(); ++r) {
    if (r > 0 || s.start_with_relu) rep->push_back(nn::ReLU());
    rep->push_back(SeparableConv2d(layers[r].in, layers[r].out));
    rep->push_back(nn::BatchNorm2d(layers[r].out));
  }
  if (s.stride != 1) rep->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(s.stride).padding(1)));
  register_module("rep", rep);
  if (s.out != s.in || s.stride != 1) {
    skip = register_module("skip", nn::Conv2d(nn::Conv2dOptions(s.in, s.out, 1).stride(s.stride).bias(false)));
    skipbn = register_module("skipbn", nn::BatchNorm2d(s.out));
  }
}

torch::Tensor XceptionBlockImpl::forward(torch::Tensor x) {
  auto y = rep->forward(x); // the leading ReLU is not in place: the shortcut needs x as it came
  return y + (skip ? skipbn(skip(x)) : x);
}

XceptionTrunk::XceptionTrunk(nn::Module& owner) {
  conv1 = owner.register_module("conv1", nn::Conv2d(nn::Conv2dOptions(3, 32, 3).stride(2).bias(false)));
  bn1 = owner.register_module("bn1", nn::BatchNorm2d(32));
  conv2 = owner.register_module("conv2", nn::Conv2d(nn::Conv2dOptions(32, 64, 3).bias(false)));
  bn2 = owner.register_module("bn2", nn::BatchNorm2d(64));
  const auto& specs = xception_blocks();
  for (size_t i = 0; i < specs.size(); ++i)
    blocks.push_back(owner.register_module("block" + std::to_string(i + 1), XceptionBlock(specs[i])));
  conv3 = owner.register_module("conv3", SeparableConv2d(1024, 1536));
  bn3 = owner.register_module("bn3", nn::BatchNorm2d(1536));
  conv4 = owner.register_module("conv4", SeparableConv2d(1536, 2048));
  bn4 = owner.register_module("bn4", nn::BatchNorm2d(2048));
}

torch::Tensor XceptionTrunk::forward(torch::Tensor x) {
  x = torch::relu(bn1(conv1(x)));
  x = torch::relu(bn2(conv2(x)));
  for (auto& b : blocks) x = b->forward(x);
  x = torch::relu(bn3(conv3(x)));
  return bn4(conv4(x));
}

} // namespace curator::retrain
