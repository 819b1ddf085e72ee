// TorchScript export of a trained detector: a torch::jit::Module whose parameters are the model's
// (dots in names become underscores) and whose forward() is generated TorchScript source, so python's
// torch.jit.load runs it with no curator code. Output: the fake logit per image, as the C++ model.
#include "core/error.hpp"
#include "retrain/detector_model.hpp"
#include "retrain/model_io.hpp"
#include "retrain/training.hpp"

#include <torch/script.h>

#include <sstream>

namespace curator::retrain {

namespace {

std::string flat(const std::string& name) {
  std::string out = name;
  for (auto& c : out)
    if (c == '.') c = '_';
  return "p_" + out;
}

std::string conv(const std::string& in, const std::string& name, int stride, int pad, int64_t groups = 1) {
  return "torch.conv2d(" + in + ", self." + flat(name + ".weight") + ", None, [" + std::to_string(stride) + ", " +
         std::to_string(stride) + "], [" + std::to_string(pad) + ", " + std::to_string(pad) + "], [1, 1], " +
         std::to_string(groups) + ")";
}

// pretrainedmodels' SeparableConv2d: depthwise 3x3 (`conv1`), then pointwise 1x1.
std::string separable(const std::string& in, const std::string& name, int64_t channels) {
  return conv(conv(in, name + ".conv1", 1, 1, channels), name + ".pointwise", 1, 0);
}

std::string bn(const std::string& in, const std::string& name) {
  return "torch.batch_norm(" + in + ", self." + flat(name + ".weight") + ", self." + flat(name + ".bias") + ", self." +
         flat(name + ".running_mean") + ", self." + flat(name + ".running_var") + ", False, 0.1, 1e-05, False)";
}

// The pooled features of the feature map `map` (DetectorOptions::pooling).
std::string pool(const DetectorImpl& m, const std::string& map) {
  if (m.options.pooling == "mean") return "torch.mean(" + map + ", [2, 3])";
  return "torch.cat([torch.mean(" + map + ", [2, 3]), torch.sqrt(torch.var(" + map + ", [2, 3], False) + 1e-06)], 1)";
}

// Pooling (unless the backbone pooled already) and the head, after the backbone's last ReLU.
std::string head_source(const DetectorImpl& m, std::ostringstream& s, bool pooled = false) {
  if (!pooled) s << "    x = " << pool(m, "x") << "\n";
  if (m.norm)
    s << "    x = torch.batch_norm(x, None, None, self." << flat("norm.running_mean") << ", self."
      << flat("norm.running_var") << ", False, 0.1, 1e-05, False)\n";
  if (m.options.hidden > 0) {
    s << "    x = torch.relu(torch.linear(x, self." << flat("fc.0.weight") << ", self." << flat("fc.0.bias") << "))\n";
    s << "    x = " << bn("x", "fc.2") << "\n";
    s << "    x = torch.linear(x, self." << flat("fc.4.weight") << ", self." << flat("fc.4.bias") << ")\n";
  } else {
    s << "    x = torch.linear(x, self." << flat("fc.weight") << ", self." << flat("fc.bias") << ")\n";
  }
  s << "    return x.squeeze(1)\n";
  return s.str();
}

void xception_source(std::ostringstream& s) {
  s << "    x = torch.relu(" << bn(conv("x", "conv1", 2, 0), "bn1") << ")\n";
  s << "    x = torch.relu(" << bn(conv("x", "conv2", 1, 0), "bn2") << ")\n";
  const auto& specs = xception_blocks();
  for (size_t b = 0; b < specs.size(); ++b) {
    const auto& spec = specs[b];
    const std::string p = "block" + std::to_string(b + 1);
    s << "    y = x\n";
    const auto layers = rep_layers(spec);
    for (size_t r = 0; r < layers.size(); ++r) {
      if (r > 0 || spec.start_with_relu) s << "    y = torch.relu(y)\n";
      const std::string rep = p + ".rep.";
      s << "    y = " << bn(separable("y", rep + std::to_string(layers[r].conv), layers[r].in), rep + std::to_string(layers[r].bn))
        << "\n";
    }
    const std::string stride = std::to_string(spec.stride);
    if (spec.stride != 1) s << "    y = torch.max_pool2d(y, [3, 3], [" << stride << ", " << stride << "], [1, 1], [1, 1], False)\n";
    if (spec.out != spec.in || spec.stride != 1) s << "    x = " << bn(conv("x", p + ".skip", spec.stride, 0), p + ".skipbn") << "\n";
    s << "    x = y + x\n";
  }
  s << "    x = torch.relu(" << bn(separable("x", "conv3", 1024), "bn3") << ")\n";
  s << "    x = torch.relu(" << bn(separable("x", "conv4", 1536), "bn4") << ")\n";
}

std::string conv_bias(const std::string& in, const std::string& name, int stride, int pad) {
  return "torch.conv2d(" + in + ", self." + flat(name + ".weight") + ", self." + flat(name + ".bias") + ", [" +
         std::to_string(stride) + ", " + std::to_string(stride) + "], [" + std::to_string(pad) + ", " +
         std::to_string(pad) + "], [1, 1], 1)";
}

// face-api's trunk (faceapi_trunk.hpp) and its four stages' pooled outputs.
void faceapi_source(const DetectorImpl& m, std::ostringstream& s) {
  s << "    x = torch.relu(" << conv_bias("x", "faceapi.conv32_down", 2, 0) << ")\n";
  s << "    x = torch.max_pool2d(x, [3, 3], [2, 2], [0, 0], [1, 1], False)\n";
  std::vector<std::string> stages;
  const auto& blocks = m.faceapi->blocks;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const std::string p = "faceapi." + blocks[i].first;
    if (!blocks[i].second->down) {
      s << "    y = torch.relu(" << conv_bias("x", p + ".conv1", 1, 1) << ")\n";
      s << "    x = torch.relu(" << conv_bias("y", p + ".conv2", 1, 1) << " + x)\n";
    } else {
      s << "    y = torch.relu(" << conv_bias("x", p + ".conv1", 2, 0) << ")\n";
      s << "    y = " << conv_bias("y", p + ".conv2", 1, 1) << "\n";
      s << "    q = torch.avg_pool2d(x, [2, 2], [2, 2], [0, 0], False, True, None)\n";
      s << "    y = torch.constant_pad_nd(y, [0, q.size(3) - y.size(3), 0, q.size(2) - y.size(2)], 0.0)\n";
      s << "    q = torch.constant_pad_nd(q, [0, 0, 0, 0, 0, y.size(1) - q.size(1)], 0.0)\n";
      s << "    x = torch.relu(q + y)\n";
    }
    if (FaceApiTrunkImpl::ends_stage(i)) {
      stages.push_back("s" + std::to_string(stages.size()));
      s << "    " << stages.back() << " = " << pool(m, "x") << "\n";
    }
  }
  s << "    x = torch.cat([" << stages[0] << ", " << stages[1] << ", " << stages[2] << ", " << stages[3] << "], 1)\n";
}

std::string forward_source(const DetectorImpl& m) {
  std::ostringstream s;
  s << "def forward(self, x):\n";
  if (m.faceapi) {
    faceapi_source(m, s);
    return head_source(m, s, /*pooled=*/true);
  }
  if (m.xception) {
    xception_source(s);
    return head_source(m, s);
  }
  s << "    x = torch.relu(" << bn(conv("x", "conv1", 2, 3), "bn1") << ")\n";
  s << "    x = torch.max_pool2d(x, [3, 3], [2, 2], [1, 1], [1, 1], False)\n";
  const int strides[4] = {1, 2, 2, 2};
  for (int l = 1; l <= 4; ++l)
    for (int b = 0; b < 2; ++b) {
      const std::string p = "layer" + std::to_string(l) + "." + std::to_string(b);
      const int stride = b == 0 ? strides[l - 1] : 1;
      s << "    y = torch.relu(" << bn(conv("x", p + ".conv1", stride, 1), p + ".bn1") << ")\n";
      s << "    y = " << bn(conv("y", p + ".conv2", 1, 1), p + ".bn2") << "\n";
      const bool down = b == 0 && l > 1;
      if (down) s << "    x = " << bn(conv("x", p + ".downsample.0", stride, 0), p + ".downsample.1") << "\n";
      s << "    x = torch.relu(y + x)\n";
    }
  return head_source(m, s);
}

} // namespace

void export_torchscript(const ModelRef& ref, const std::filesystem::path& out) {
  Detector model(detector_options(ref.params));
  load_weights(*model, ref.weights);
  model->eval();
  torch::jit::Module m("CuratorDetector");
  for (auto& [name, tensor] : named_state(*model)) {
    if (name.find("num_batches_tracked") != std::string::npos) continue;
    m.register_parameter(flat(name), tensor.detach().contiguous().clone(), /*is_buffer=*/false);
  }
  m.define(forward_source(*model));
  m.eval();
  const auto tmp = out.string() + ".tmp";
  m.save(tmp);
  std::filesystem::rename(tmp, out);
}

namespace {

std::vector<double> check_logits(Detector& model, int size) {
  model->eval();
  torch::NoGradGuard no_grad;
  // Hash noise in [-1, 1), bit for bit what tests/support/formula_weights.py's check_input builds.
  auto k = torch::arange(2 * 3 * size * size, torch::kInt64);
  auto x = ((k * static_cast<int64_t>(2654435761)).remainder(static_cast<int64_t>(4294967296)).to(torch::kFloat64) / 2147483648.0 - 1.0)
               .to(torch::kFloat32)
               .reshape({2, 3, size, size});
  auto y = model->forward(x).contiguous();
  return {y[0].item<double>(), y[1].item<double>()};
}

} // namespace

std::vector<double> logits_for_check(const ModelRef& ref, int size) {
  Detector model(detector_options(ref.params));
  load_weights(*model, ref.weights);
  return check_logits(model, size);
}

std::vector<double> init_logits_for_check(const std::filesystem::path& file, const std::string& backbone, int size) {
  Detector model(DetectorOptions{backbone});
  load_imagenet_weights(model, file);
  return check_logits(model, size);
}

} // namespace curator::retrain
