#include "retrain/faceapi_trunk.hpp"

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "ingest/faces/tfjs_weights.hpp"
#include "retrain/augment.hpp"
#include "retrain/training.hpp"

#include <nlohmann/json.hpp>

#include <fstream>

namespace curator::retrain {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

const char* const kFaceApiRecognitionSha256 = "b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589";

namespace {

nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t padding) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(padding).bias(true));
}

// (name, in, out, down) in face-api's order; the stage ends after the last block of each width.
struct BlockSpec {
  const char* name;
  int64_t in, out;
  bool down;
};
constexpr BlockSpec kBlocks[] = {
    {"conv32_1", 32, 32, false},    {"conv32_2", 32, 32, false},    {"conv32_3", 32, 32, false},
    {"conv64_down", 32, 64, true},  {"conv64_1", 64, 64, false},    {"conv64_2", 64, 64, false},
    {"conv64_3", 64, 64, false},    {"conv128_down", 64, 128, true}, {"conv128_1", 128, 128, false},
    {"conv128_2", 128, 128, false}, {"conv256_down", 128, 256, true}, {"conv256_1", 256, 256, false},
    {"conv256_2", 256, 256, false}, {"conv256_down_out", 256, 256, true}};
// Index of the last block of each stage.
constexpr size_t kStageEnds[4] = {2, 6, 9, 13};

torch::Tensor from_tfjs(const faces::TfjsTensor& t) {
  return torch::from_blob(const_cast<float*>(t.values.data()), t.shape, torch::kFloat32).clone();
}

} // namespace

FaceApiBlockImpl::FaceApiBlockImpl(int64_t in, int64_t out, bool down_) : down(down_) {
  conv1 = register_module("conv1", conv(in, out, 3, down ? 2 : 1, down ? 0 : 1));
  conv2 = register_module("conv2", conv(out, out, 3, 1, 1));
}

torch::Tensor FaceApiBlockImpl::forward(torch::Tensor x) {
  auto y = conv2(torch::relu(conv1(x)));
  if (!down) return torch::relu(y + x);
  auto p = torch::avg_pool2d(x, 2, 2);
  if (y.size(2) < p.size(2) || y.size(3) < p.size(3))
    y = F::pad(y, F::PadFuncOptions({0, p.size(3) - y.size(3), 0, p.size(2) - y.size(2)}));
  if (p.size(1) < y.size(1)) p = F::pad(p, F::PadFuncOptions({0, 0, 0, 0, 0, y.size(1) - p.size(1)}));
  return torch::relu(p + y);
}

FaceApiTrunkImpl::FaceApiTrunkImpl() {
  conv32_down = register_module("conv32_down", conv(3, 32, 7, 2, 0));
  for (const auto& b : kBlocks) blocks.emplace_back(b.name, register_module(b.name, FaceApiBlock(b.in, b.out, b.down)));
}

bool FaceApiTrunkImpl::ends_stage(size_t index) {
  for (const size_t end : kStageEnds)
    if (end == index) return true;
  return false;
}

std::array<torch::Tensor, 4> FaceApiTrunkImpl::stages(torch::Tensor x) {
  x = torch::max_pool2d(torch::relu(conv32_down(x)), 3, 2);
  std::array<torch::Tensor, 4> out;
  size_t stage = 0;
  for (size_t i = 0; i < blocks.size(); ++i) {
    x = blocks[i].second->forward(x);
    if (i == kStageEnds[stage]) out[stage++] = x;
  }
  return out;
}

std::filesystem::path faceapi_manifest(const std::filesystem::path& models_dir) {
  return models_dir / "model" / "face_recognition_model-weights_manifest.json";
}

namespace {

// SHA-256 of the manifest's weight shards, concatenated in order.
std::string shards_sha256(const std::filesystem::path& manifest) {
  std::ifstream in(manifest);
  if (!in) throw NotFound("face-api recognition weights missing: " + manifest.string() +
                          " (faces.models_dir; ops/setup.sh fetches them)");
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_array()) throw InvalidInput(manifest.string() + " is not a tfjs weights manifest");
  core::Sha256 hash;
  for (const auto& group : j)
    for (const auto& path : group.value("paths", nlohmann::json::array())) {
      const auto shard = manifest.parent_path() / path.get<std::string>();
      std::ifstream s(shard, std::ios::binary);
      if (!s) throw NotFound("face-api weights shard missing: " + shard.string());
      std::vector<char> buf(1 << 16);
      while (s.read(buf.data(), static_cast<std::streamsize>(buf.size())) || s.gcount() > 0)
        hash.update(buf.data(), static_cast<size_t>(s.gcount()));
    }
  return hash.hex_digest();
}

} // namespace

std::string load_faceapi_weights(FaceApiTrunk& trunk, const std::filesystem::path& manifest) {
  const std::string sha = shards_sha256(manifest);
  if (sha != kFaceApiRecognitionSha256)
    throw InvalidInput("the face-api recognition weights in " + manifest.parent_path().string() + " have SHA-256 " + sha +
                       ", not the pinned " + kFaceApiRecognitionSha256 + " (face-api 1.7.15): refusing to train from them; "
                       "run ops/setup.sh to fetch the pinned package again");
  const auto tw = faces::TfjsWeights::load(manifest);
  torch::NoGradGuard no_grad;
  auto fold = [&](const std::string& prefix, nn::Conv2d& c) {
    const auto scale = from_tfjs(tw.get(prefix + "/scale/weights")), shift = from_tfjs(tw.get(prefix + "/scale/biases"));
    const auto filter = from_tfjs(tw.get(prefix + "/conv/filters")).permute({3, 2, 0, 1}); // -> [out, in, kh, kw]
    if (filter.sizes() != c->weight.sizes())
      throw InvalidInput(manifest.string() + ": " + prefix + " has another shape than face-api's recognition net");
    c->weight.copy_(filter * scale.view({-1, 1, 1, 1}));
    c->bias.copy_(from_tfjs(tw.get(prefix + "/conv/bias")) * scale + shift);
  };
  fold("conv32_down", trunk->conv32_down);
  for (auto& [name, block] : trunk->blocks) {
    fold(name + "/conv1", block->conv1);
    fold(name + "/conv2", block->conv2);
  }
  return sha;
}

torch::Tensor faceapi_descriptor_layer(const std::filesystem::path& manifest) {
  return from_tfjs(faces::TfjsWeights::load(manifest).get("fc", {256, 128}));
}

std::vector<std::vector<float>> faceapi_descriptors_for_check(const std::filesystem::path& face_models_dir,
                                                              const std::vector<cv::Mat>& chips) {
  const auto manifest = faceapi_manifest(face_models_dir);
  FaceApiTrunk trunk;
  load_faceapi_weights(trunk, manifest);
  trunk->eval();
  torch::NoGradGuard no_grad;
  std::vector<float> data(chips.size() * 3 * 150 * 150);
  for (size_t i = 0; i < chips.size(); ++i) to_chw(chips[i], 150, data.data() + i * 3 * 150 * 150, InputNorm::faceapi);
  const auto x = torch::from_blob(data.data(), {static_cast<int64_t>(chips.size()), 3, 150, 150});
  const auto out = trunk->stages(x)[3].mean({2, 3}).matmul(faceapi_descriptor_layer(manifest)).contiguous();
  std::vector<std::vector<float>> result;
  for (int64_t i = 0; i < out.size(0); ++i) result.emplace_back(out[i].data_ptr<float>(), out[i].data_ptr<float>() + 128);
  return result;
}

} // namespace curator::retrain
