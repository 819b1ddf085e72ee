#pragma once
// Internal to retrain/ (includes LibTorch; the module's precompiled header makes that cheap): the
// detector. Backbone: ResNet18 with torchvision's layout and parameter names, Xception with
// pretrainedmodels' (xception.hpp), so ImageNet weights load by name, or face-api's recognition trunk
// (`faceapi`, faceapi_trunk.hpp: registered as "faceapi", 480 pooled features; twice as many with
// mean_std pooling). The head is the backbone's
// `fc` replaced by one fake logit: either linear, or one hidden layer (Linear, ReLU, BatchNorm1d,
// Dropout, Linear); dropout also applies to the pooled features. Not thread-safe: one thread trains or
// evaluates a model at a time.
#include "retrain/faceapi_trunk.hpp"
#include "retrain/training.hpp"
#include "retrain/xception.hpp"

#include <torch/torch.h>

#include <filesystem>
#include <memory>
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

struct DetectorOptions {
  std::string backbone = "resnet18"; ///< resnet18, xception or faceapi
  int hidden = 0;        ///< 0: a linear head; else the hidden layer's width
  double dropout = 0.5;  ///< on the pooled features (512 or 2048) and in the hidden layer
  /// mean: each feature map averaged over space; mean_std: its mean and standard deviation over space
  /// (texture statistics, where blending and generator artefacts show), standardised by a BatchNorm1d
  /// without affine parameters (registered as "norm", part of the head).
  std::string pooling = "mean";
};
/// The detector a run's parameters describe.
DetectorOptions detector_options(const TrainParams& params);
/// Throws curator::InvalidInput for a backbone other than resnet18, xception or faceapi.
void check_backbone(const std::string& backbone);

struct DetectorImpl : torch::nn::Module {
  explicit DetectorImpl(DetectorOptions options = {});
  /// N x 3 x H x W ImageNet-normalised images -> N fake logits.
  torch::Tensor forward(torch::Tensor x);
  DetectorOptions options;
  // ResNet18 (torchvision's names); null for Xception.
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
  std::unique_ptr<XceptionTrunk> xception; ///< registered at top level, as in pretrainedmodels
  FaceApiTrunk faceapi{nullptr};           ///< registered as "faceapi"
  /// The backbone's parameters (all but the head's), e.g. to freeze them or give them their own rate.
  std::vector<torch::Tensor> backbone_parameters();
  std::vector<torch::Tensor> head_parameters();
  /// Whether a checkpoint key belongs to the head (trained even when the backbone is frozen).
  static bool in_head(const std::string& key);
  torch::nn::Dropout drop{nullptr};
  torch::nn::BatchNorm1d norm{nullptr}; ///< mean_std pooling only
  // Registered as "fc", whichever the head is: Linear(features, 1), or the hidden-layer Sequential.
  torch::nn::Linear fc_linear{nullptr};
  torch::nn::Sequential fc_hidden{nullptr};
};
TORCH_MODULE(Detector);

struct LoadReport {
  int loaded = 0;          ///< tensors copied by name
  int skipped = 0;         ///< names in the file that the model lacks or with another shape (torchvision's fc)
  std::string sha256;      ///< of the weights file, recorded with the model
};

/// Copies parameters and buffers by name from ImageNet weights of the model's backbone (torchvision's
/// ResNet18, pretrainedmodels' Xception, whose 2-d pointwise weights are reshaped to 1x1 convolutions):
/// a TorchScript file (torch.jit.script(model).save) or a pickled dict (torch.save(model.state_dict())).
/// Throws curator::InvalidInput when the file is neither, or when any backbone tensor (all but `fc`) is
/// missing from it or has another shape.
LoadReport load_imagenet_weights(Detector& model, const std::filesystem::path& file);

/// Stores the 4-d weights channels-last (NHWC), where oneDNN's convolutions run fastest on CPU; feed
/// inputs in the same layout (x.contiguous(torch::MemoryFormat::ChannelsLast)). Names and values are
/// unchanged, so checkpoints are the same.
void use_channels_last(torch::nn::Module& model);

/// Every parameter and buffer by dotted name (the checkpoint keys).
std::vector<std::pair<std::string, torch::Tensor>> named_state(torch::nn::Module& model);

} // namespace curator::retrain
