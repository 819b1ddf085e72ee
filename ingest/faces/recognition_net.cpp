// Layer by layer as in shared/reference/face-api/README.md: each conv is followed by a per-channel
// scale (y * w + b); residual blocks add their input, down-sampling blocks add a 2x2 average pool of
// their input, zero-padded in space and channels to match.
#include "ingest/faces/recognition_net.hpp"

#include "core/error.hpp"
#include "ingest/faces/torch_ops.hpp"

#include <map>

namespace curator::faces {

namespace F = torch::nn::functional;

struct RecognitionNet::Weights {
  struct ConvScale {
    torch::Tensor filter, bias; // the scale after the conv folded in: (W x + b) s + t = (W s) x + (b s + t)
  };
  std::map<std::string, ConvScale> convs;
  torch::Tensor fc; // [256, 128]
};

namespace {

RecognitionNet::Weights load(const TfjsWeights& tw) {
  RecognitionNet::Weights w;
  auto add = [&](const std::string& prefix) {
    const auto scale = tf::tensor(tw.get(prefix + "/scale/weights")), shift = tf::tensor(tw.get(prefix + "/scale/biases"));
    w.convs[prefix] = {tf::channels_last(tf::conv_filter(tw.get(prefix + "/conv/filters")) * scale.view({-1, 1, 1, 1})),
                       tf::tensor(tw.get(prefix + "/conv/bias")) * scale + shift};
  };
  add("conv32_down");
  for (const char* block : {"conv32_1", "conv32_2", "conv32_3", "conv64_down", "conv64_1", "conv64_2", "conv64_3",
                            "conv128_down", "conv128_1", "conv128_2", "conv256_down", "conv256_1", "conv256_2",
                            "conv256_down_out"}) {
    add(std::string(block) + "/conv1");
    add(std::string(block) + "/conv2");
  }
  w.fc = tf::tensor(tw.get("fc", {256, 128}));
  return w;
}

using ConvScale = RecognitionNet::Weights::ConvScale;

torch::Tensor residual(const torch::Tensor& x, const ConvScale& c1, const ConvScale& c2) {
  auto y = torch::relu(tf::conv_same(x, c1.filter, c1.bias, 1));
  return torch::relu(tf::conv_same(y, c2.filter, c2.bias, 1) + x);
}

torch::Tensor residual_down(const torch::Tensor& x, const ConvScale& c1, const ConvScale& c2) {
  auto y = torch::relu(tf::conv_valid(x, c1.filter, c1.bias, 2));
  y = tf::conv_same(y, c2.filter, c2.bias, 1);
  auto p = torch::avg_pool2d(x, 2, 2);
  if (y.size(2) < p.size(2) || y.size(3) < p.size(3))
    y = F::pad(y, F::PadFuncOptions({0, p.size(3) - y.size(3), 0, p.size(2) - y.size(2)}));
  if (p.size(1) < y.size(1)) p = F::pad(p, F::PadFuncOptions({0, 0, 0, 0, 0, y.size(1) - p.size(1)}));
  return torch::relu(p + y);
}

} // namespace

RecognitionNet::RecognitionNet(const std::filesystem::path& model_dir)
    : w_(std::make_unique<Weights>(load(TfjsWeights::load(model_dir / "face_recognition_model-weights_manifest.json")))) {}

RecognitionNet::~RecognitionNet() = default;

std::vector<Embedding> RecognitionNet::embed(const std::vector<cv::Mat>& chips) const {
  if (chips.empty()) return {};
  c10::InferenceMode guard;
  std::vector<torch::Tensor> inputs;
  for (const auto& chip : chips) {
    if (chip.rows != 150 || chip.cols != 150 || chip.channels() != 3)
      throw InvalidInput("recognition chips must be 150x150 RGB");
    cv::Mat f;
    chip.convertTo(f, CV_32FC3);
    inputs.push_back(torch::from_blob(f.data, {150, 150, 3}, torch::kFloat32).clone());
  }
  const auto mean = torch::tensor({122.782f, 117.001f, 104.298f});
  auto x = tf::channels_last(((torch::stack(inputs) - mean) / 255.0f).permute({0, 3, 1, 2}));
  auto c = [&](const std::string& name) -> const ConvScale& { return w_->convs.at(name); };
  x = torch::relu(tf::conv_valid(x, c("conv32_down").filter, c("conv32_down").bias, 2));
  x = torch::max_pool2d(x, 3, 2);
  auto res = [&](const std::string& b) { x = residual(x, c(b + "/conv1"), c(b + "/conv2")); };
  auto down = [&](const std::string& b) { x = residual_down(x, c(b + "/conv1"), c(b + "/conv2")); };
  res("conv32_1"), res("conv32_2"), res("conv32_3");
  down("conv64_down"), res("conv64_1"), res("conv64_2"), res("conv64_3");
  down("conv128_down"), res("conv128_1"), res("conv128_2");
  down("conv256_down"), res("conv256_1"), res("conv256_2");
  down("conv256_down_out");
  auto out = x.mean({2, 3}).matmul(w_->fc).contiguous();
  std::vector<Embedding> result(chips.size());
  auto acc = out.accessor<float, 2>();
  for (size_t i = 0; i < chips.size(); ++i)
    for (int j = 0; j < 128; ++j) result[i][j] = acc[static_cast<int64_t>(i)][j];
  return result;
}

} // namespace curator::faces
