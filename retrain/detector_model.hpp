#pragma once
// Internal to retrain/ (includes LibTorch; the module's precompiled header makes that cheap): the
// ResNet18 detector with torchvision's layout and parameter names, so ImageNet weights exported from
// torchvision load by name. The head is torchvision's `fc` replaced by one fake logit: either linear, or
// one hidden layer (Linear, ReLU, BatchNorm1d, Dropout, Linear); dropout also applies to the pooled
// features. Not thread-safe: one thread trains or evaluates a model at a time.
#include <torch/torch.h>

#include <filesystem>
#include <string>

namespace curator::retrain {

struct BasicBlockImpl : torch::nn::Module {
  BasicBlockImpl(int64_t in, int64_t out, int64_t stride);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential downsample{nullptr}; ///< "downsample.0" conv, "downsample.1" bn (torchvision)
};
TORCH_MODULE(BasicBlock);

struct HeadOptions {
  int hidden = 0;        ///< 0: a linear head; else the hidden layer's width
  double dropout = 0.5;  ///< on the pooled 512 features (and in the hidden layer)
};

struct DetectorImpl : torch::nn::Module {
  explicit DetectorImpl(HeadOptions head = {});
  /// N x 3 x H x W ImageNet-normalised images -> N fake logits.
  torch::Tensor forward(torch::Tensor x);
  HeadOptions head;
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
  torch::nn::Dropout drop{nullptr};
  // Registered as "fc", whichever the head is: Linear(512, 1), or the hidden-layer Sequential.
  torch::nn::Linear fc_linear{nullptr};
  torch::nn::Sequential fc_hidden{nullptr};
};
TORCH_MODULE(Detector);

struct LoadReport {
  int loaded = 0;          ///< tensors copied by name
  int skipped = 0;         ///< names in the file that the model lacks or with another shape (torchvision's fc)
  std::string sha256;      ///< of the weights file, recorded with the model
};

/// Copies parameters and buffers by name from torchvision ResNet18 weights: a TorchScript file
/// (torch.jit.script(model).save) or a pickled plain dict (torch.save(dict(model.state_dict()))).
/// Throws curator::InvalidInput when the file is neither, or when it fits no backbone tensor.
LoadReport load_torchvision_weights(Detector& model, const std::filesystem::path& file);

/// Stores the 4-d weights channels-last (NHWC), where oneDNN's convolutions run fastest on CPU; feed
/// inputs in the same layout (x.contiguous(torch::MemoryFormat::ChannelsLast)). Names and values are
/// unchanged, so checkpoints are the same.
void use_channels_last(torch::nn::Module& model);

/// Every parameter and buffer by dotted name (the checkpoint keys).
std::vector<std::pair<std::string, torch::Tensor>> named_state(torch::nn::Module& model);

} // namespace curator::retrain
