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

std::string conv(const std::string& in, const std::string& name, int stride, int pad) {
  return "torch.conv2d(" + in + ", self." + flat(name + ".weight") + ", None, [" + std::to_string(stride) + ", " +
         std::to_string(stride) + "], [" + std::to_string(pad) + ", " + std::to_string(pad) + "], [1, 1], 1)";
}

std::string bn(const std::string& in, const std::string& name) {
  return "torch.batch_norm(" + in + ", self." + flat(name + ".weight") + ", self." + flat(name + ".bias") + ", self." +
         flat(name + ".running_mean") + ", self." + flat(name + ".running_var") + ", False, 0.1, 1e-05, False)";
}

std::string forward_source(const DetectorImpl& m) {
  std::ostringstream s;
  s << "def forward(self, x):\n";
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
  s << "    x = torch.flatten(torch.adaptive_avg_pool2d(x, [1, 1]), 1)\n";
  if (m.head.hidden > 0) {
    s << "    x = torch.relu(torch.linear(x, self." << flat("fc.0.weight") << ", self." << flat("fc.0.bias") << "))\n";
    s << "    x = " << bn("x", "fc.2") << "\n";
    s << "    x = torch.linear(x, self." << flat("fc.4.weight") << ", self." << flat("fc.4.bias") << ")\n";
  } else {
    s << "    x = torch.linear(x, self." << flat("fc.weight") << ", self." << flat("fc.bias") << ")\n";
  }
  s << "    return x.squeeze(1)\n";
  return s.str();
}

} // namespace

void export_torchscript(const ModelRef& ref, const std::filesystem::path& out) {
  Detector model(HeadOptions{ref.params.hidden, ref.params.dropout});
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

std::vector<double> logits_for_check(const ModelRef& ref, int size) {
  Detector model(HeadOptions{ref.params.hidden, ref.params.dropout});
  load_weights(*model, ref.weights);
  model->eval();
  torch::NoGradGuard no_grad;
  // The same input python builds: torch.linspace(-2, 2, 2*3*size*size).reshape(2, 3, size, size).
  auto x = torch::linspace(-2, 2, 2 * 3 * size * size).reshape({2, 3, size, size});
  auto y = model->forward(x).contiguous();
  return {y[0].item<double>(), y[1].item<double>()};
}

} // namespace curator::retrain
