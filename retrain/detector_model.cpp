#include "retrain/detector_model.hpp"

#include "core/error.hpp"
#include "core/sha256.hpp"

#include <torch/script.h>

#include <fstream>
#include <map>
#include <set>

namespace curator::retrain {

namespace nn = torch::nn;

BasicBlockImpl::BasicBlockImpl(int64_t in, int64_t out, int64_t stride) {
  conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false)));
  bn1 = register_module("bn1", nn::BatchNorm2d(out));
  conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(out, out, 3).stride(1).padding(1).bias(false)));
  bn2 = register_module("bn2", nn::BatchNorm2d(out));
  if (stride != 1 || in != out)
    downsample = register_module("downsample", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)),
                                                              nn::BatchNorm2d(out)));
}

torch::Tensor BasicBlockImpl::forward(torch::Tensor x) {
  auto y = torch::relu(bn1(conv1(x)));
  y = bn2(conv2(y));
  return torch::relu(y + (downsample ? downsample->forward(x) : x));
}

namespace {

nn::Sequential layer(int64_t in, int64_t out, int64_t stride) {
  return nn::Sequential(BasicBlock(in, out, stride), BasicBlock(out, out, 1));
}

} // namespace

DetectorOptions detector_options(const TrainParams& p) {
  DetectorOptions o;
  o.backbone = p.backbone, o.hidden = p.hidden, o.dropout = p.dropout, o.pooling = p.pooling;
  return o;
}

void check_backbone(const std::string& backbone) {
  if (backbone != "resnet18" && backbone != "xception" && backbone != "faceapi")
    throw InvalidInput("backbone must be faceapi, resnet18 or xception, not '" + backbone + "'");
}

DetectorImpl::DetectorImpl(DetectorOptions o) : options(std::move(o)) {
  check_backbone(options.backbone);
  int64_t features = 512;
  if (options.backbone == "xception") {
    xception = std::make_unique<XceptionTrunk>(*this);
    features = 2048;
  } else if (options.backbone == "faceapi") {
    faceapi = register_module("faceapi", FaceApiTrunk());
    features = kFaceApiFeatures;
  } else {
    conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(3, 64, 7).stride(2).padding(3).bias(false)));
    bn1 = register_module("bn1", nn::BatchNorm2d(64));
    layer1 = register_module("layer1", layer(64, 64, 1));
    layer2 = register_module("layer2", layer(64, 128, 2));
    layer3 = register_module("layer3", layer(128, 256, 2));
    layer4 = register_module("layer4", layer(256, 512, 2));
  }
  if (options.pooling != "mean" && options.pooling != "mean_std")
    throw InvalidInput("pooling must be mean or mean_std, not '" + options.pooling + "'");
  const auto& h = options;
  if (h.pooling == "mean_std") {
    features *= 2;
    norm = register_module("norm", nn::BatchNorm1d(nn::BatchNorm1dOptions(features).affine(false)));
  }
  drop = register_module("drop", nn::Dropout(h.dropout));
  if (h.hidden > 0) {
    fc_hidden = register_module("fc", nn::Sequential(nn::Linear(features, h.hidden), nn::ReLU(),
                                                     nn::BatchNorm1d(h.hidden), nn::Dropout(h.dropout),
                                                     nn::Linear(h.hidden, 1)));
  } else {
    fc_linear = register_module("fc", nn::Linear(features, 1));
  }
}

namespace {

// N x C x H x W -> N x C (mean over space) or N x 2C (mean, then standard deviation).
torch::Tensor pool(const torch::Tensor& map, bool with_std) {
  if (!with_std) return map.mean({2, 3});
  const auto [var, mean] = torch::var_mean(map, {2, 3}, /*unbiased=*/false);
  return torch::cat({mean, (var + 1e-6).sqrt()}, 1);
}

} // namespace

torch::Tensor DetectorImpl::forward(torch::Tensor x) {
  const bool with_std = static_cast<bool>(norm);
  if (faceapi) {
    const auto s = faceapi->stages(x);
    x = torch::cat({pool(s[0], with_std), pool(s[1], with_std), pool(s[2], with_std), pool(s[3], with_std)}, 1);
  } else if (xception) {
    x = pool(torch::relu(xception->forward(x)), with_std);
  } else {
    x = torch::relu(bn1(conv1(x)));
    x = torch::max_pool2d(x, 3, 2, 1);
    x = pool(layer4->forward(layer3->forward(layer2->forward(layer1->forward(x)))), with_std);
  }
  if (norm) x = norm(x);
  x = drop(x);
  return (fc_hidden ? fc_hidden->forward(x) : fc_linear(x)).squeeze(1);
}

bool DetectorImpl::in_head(const std::string& key) {
  return key.rfind("fc.", 0) == 0 || key.rfind("norm.", 0) == 0;
}

std::vector<torch::Tensor> DetectorImpl::backbone_parameters() {
  std::vector<torch::Tensor> out;
  for (const auto& p : named_parameters(true))
    if (!in_head(p.key())) out.push_back(p.value());
  return out;
}

std::vector<torch::Tensor> DetectorImpl::head_parameters() {
  std::vector<torch::Tensor> out;
  for (const auto& p : named_parameters(true))
    if (in_head(p.key())) out.push_back(p.value());
  return out;
}

void use_channels_last(nn::Module& model) {
  torch::NoGradGuard no_grad;
  for (auto& p : model.parameters())
    if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
}

std::vector<std::pair<std::string, torch::Tensor>> named_state(nn::Module& model) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& p : model.named_parameters(true)) out.emplace_back(p.key(), p.value());
  for (const auto& b : model.named_buffers(true)) out.emplace_back(b.key(), b.value());
  return out;
}

LoadReport load_imagenet_weights(Detector& model, const std::filesystem::path& file) {
  std::map<std::string, torch::Tensor> source;
  try { // a TorchScript module
    auto m = torch::jit::load(file.string());
    for (const auto& p : m.named_parameters(true)) source[p.name] = p.value;
    for (const auto& b : m.named_buffers(true)) source[b.name] = b.value;
  } catch (const std::exception&) {
    try { // a pickled plain dict of tensors
      std::ifstream in(file, std::ios::binary);
      std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      auto value = torch::pickle_load(bytes);
      if (!value.isGenericDict()) throw InvalidInput("not a dict");
      for (const auto& kv : value.toGenericDict())
        if (kv.key().isString() && kv.value().isTensor()) source[kv.key().toStringRef()] = kv.value().toTensor();
    } catch (const std::exception& e) {
      throw InvalidInput(file.string() + " is neither a TorchScript module nor a pickled dict of tensors (" +
                         e.what() + "); export it with ops/export_resnet18.py");
    }
  }
  LoadReport report;
  report.sha256 = core::sha256_file(file);
  torch::NoGradGuard no_grad;
  std::map<std::string, torch::Tensor> mine;
  for (auto& [name, t] : named_state(*model)) mine[name] = t;
  std::set<std::string> copied;
  for (const auto& [name, t] : source) {
    auto it = mine.find(name);
    // pretrainedmodels' Xception file keeps pointwise convolutions as 2-d matrices.
    const bool pointwise_matrix = it != mine.end() && it->second.dim() == 4 && t.dim() == 2 &&
                                  it->second.size(0) == t.size(0) && it->second.size(1) == t.size(1) &&
                                  it->second.numel() == t.numel();
    if (it == mine.end() || (it->second.sizes() != t.sizes() && !pointwise_matrix)) {
      ++report.skipped;
      continue;
    }
    it->second.copy_(t.reshape(it->second.sizes()).to(it->second.dtype()));
    copied.insert(name);
    ++report.loaded;
  }
  // Half-initialised backbones train badly and silently: every backbone tensor must come from the file
  // (the head, `fc`, is ours; batch norms' step counters do not matter).
  int missing = 0;
  std::string first_missing;
  for (const auto& [name, t] : mine) {
    if (DetectorImpl::in_head(name) || name.find("num_batches_tracked") != std::string::npos || copied.count(name)) continue;
    if (missing++ == 0) first_missing = name;
  }
  if (missing > 0)
    throw InvalidInput(file.string() + " is not " + model->options.backbone + " weights: " + std::to_string(missing) +
                       " backbone tensors are missing or of another shape (" + first_missing + ", ...)");
  return report;
}

} // namespace curator::retrain
