// Evaluation per source (frame and video level) and scoring of face crops with a saved model.
#include "core/error.hpp"
#include "retrain/augment.hpp"
#include "retrain/batch_loader.hpp"
#include "retrain/detector_model.hpp"
#include "retrain/metrics.hpp"
#include "retrain/model_io.hpp"
#include "retrain/training.hpp"

#include <torch/script.h>

#include <fstream>
#include <map>

namespace curator::retrain {

ModelRef ModelRef::from_dir(const std::filesystem::path& dir) {
  ModelRef m;
  m.weights = dir / "model.pt";
  const auto card = dir / "card.json";
  if (!std::filesystem::exists(m.weights) || !std::filesystem::exists(card))
    throw NotFound("no model in " + dir.string() + " (it needs model.pt and card.json)");
  auto j = nlohmann::json::parse(std::ifstream(card), nullptr, false);
  if (j.is_discarded() || !j.contains("params")) throw InvalidInput(card.string() + " is not a model card");
  m.params = TrainParams::from_json(j["params"]);
  // Cards written before the normalisation was recorded: those models were trained on ImageNet's.
  if (!j["params"].contains("input_norm")) m.params.input_norm = "imagenet";
  return m;
}

namespace {

Detector load_model(const ModelRef& ref, bool bf16) {
  Detector model(detector_options(ref.params));
  load_weights(*model, ref.weights);
  if (bf16) model->to(torch::kBFloat16); // as retrain/scoring_model.cpp serves it
  use_channels_last(*model);
  model->eval();
  return model;
}

std::vector<double> predict(Detector& model, const std::filesystem::path& root, const std::vector<Sample>& samples,
                            const TrainParams& p, bool bf16) {
  torch::NoGradGuard no_grad;
  LoaderOptions lo;
  lo.batch = p.batch, lo.image_size = p.image_size, lo.workers = p.loader_workers;
  lo.norm = parse_input_norm(p.resolved_input_norm());
  lo.detail = p.detail;
  BatchLoader loader(root, samples, lo);
  std::vector<double> out;
  Batch b;
  while (loader.next(b)) {
    auto x = torch::from_blob(b.images.data(), {static_cast<int64_t>(b.count()), 3, b.size, b.size})
                 .contiguous(torch::MemoryFormat::ChannelsLast);
    if (bf16) x = x.to(torch::kBFloat16);
    auto prob = torch::sigmoid(model->forward(x)).to(torch::kFloat).contiguous();
    const float* data = prob.data_ptr<float>();
    out.insert(out.end(), data, data + prob.size(0));
  }
  return out;
}

} // namespace

std::vector<CropScore> score_split(const ModelRef& ref, const std::filesystem::path& data_root,
                                   const std::vector<dataset::ManifestItem>& items, const std::string& split,
                                   int threads, bool bf16) {
  torch::set_num_threads(std::max(1, threads));
  std::vector<Sample> samples;
  std::vector<CropScore> out;
  for (const auto& m : items)
    if (m.split == split) {
      samples.push_back({m.crop, m.label == "fake" ? 1 : 0, m.source, m.video, m.frame});
      out.push_back({m.video, m.group, m.track, m.frame, m.source, m.label == "fake" ? 1 : 0, 0.0, m.random_intake});
    }
  if (samples.empty()) return out;
  auto model = load_model(ref, bf16);
  const auto probs = predict(model, data_root, samples, ref.params, bf16);
  for (size_t i = 0; i < out.size(); ++i) {
    if (!std::isfinite(probs[i]))
      throw DivergedModel("the model gave a non-finite score on " + samples[i].crop + ": it diverged");
    out[i].p_fake = probs[i];
  }
  return out;
}

namespace {

// The faces the model got most wrong (largest |p_fake - label|), the worst one of each video, at most
// kWorstVideos videos: what a person should look at first.
nlohmann::json worst_faces(const std::vector<CropScore>& scores, const std::vector<size_t>& idx) {
  constexpr size_t kWorstVideos = 8;
  std::map<int64_t, size_t> worst_of_video;
  auto error = [&](size_t i) { return std::abs(scores[i].p_fake - scores[i].label); };
  for (size_t i : idx) {
    auto [it, added] = worst_of_video.emplace(scores[i].video, i);
    if (!added && error(i) > error(it->second)) it->second = i;
  }
  std::vector<size_t> picked;
  for (const auto& [video, i] : worst_of_video) picked.push_back(i);
  std::sort(picked.begin(), picked.end(), [&](size_t a, size_t b) { return error(a) > error(b); });
  if (picked.size() > kWorstVideos) picked.resize(kWorstVideos);
  nlohmann::json out = nlohmann::json::array();
  for (size_t i : picked)
    out.push_back({{"video", scores[i].video}, {"track", scores[i].track}, {"frame", scores[i].frame},
                   {"label", scores[i].label ? "fake" : "real"}, {"p_fake", scores[i].p_fake}});
  return out;
}

} // namespace

nlohmann::json summarize_scores(const std::vector<CropScore>& scores, int bootstrap) {
  // Per source and for all: frames, then videos (the mean and the confident strategy of their frames);
  // every interval draws whole split units (a video without one is its own unit).
  std::map<std::string, std::vector<size_t>> by_source;
  for (size_t i = 0; i < scores.size(); ++i) {
    by_source[scores[i].source].push_back(i);
    by_source["all"].push_back(i);
  }
  auto unit_of = [](const CropScore& c) { return c.unit.empty() ? "video-" + std::to_string(c.video) : c.unit; };
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [source, idx] : by_source) {
    std::vector<double> s;
    std::vector<int> l;
    std::vector<std::string> frame_units;
    struct Video {
      std::vector<double> frames;
      int label = 0;
      std::string unit;
    };
    std::map<int64_t, Video> videos;
    for (size_t i : idx) {
      s.push_back(scores[i].p_fake);
      l.push_back(scores[i].label);
      frame_units.push_back(unit_of(scores[i]));
      auto& v = videos[scores[i].video];
      v.frames.push_back(scores[i].p_fake);
      v.label = scores[i].label;
      v.unit = frame_units.back();
    }
    std::vector<double> mean, confident;
    std::vector<int> vl;
    std::vector<std::string> video_units;
    for (const auto& [video, v] : videos) {
      mean.push_back(mean_probability(v.frames));
      confident.push_back(confident_strategy(v.frames));
      vl.push_back(v.label);
      video_units.push_back(v.unit);
    }
    out[source] = {{"frames", summarize(s, l, bootstrap, 1, frame_units)},
                   {"videos_mean", summarize(mean, vl, bootstrap, 1, video_units)},
                   {"videos_confident", summarize(confident, vl, bootstrap, 1, video_units)},
                   {"worst", worst_faces(scores, idx)}};
  }
  return out;
}

nlohmann::json evaluate(const ModelRef& ref, const std::filesystem::path& data_root,
                        const std::vector<dataset::ManifestItem>& items, const std::string& split, int threads) {
  return summarize_scores(score_split(ref, data_root, items, split, threads), ref.params.bootstrap);
}

WeightsReport inspect_init_weights(const std::filesystem::path& file, const std::string& backbone) {
  Detector model(DetectorOptions{backbone});
  const auto r = load_imagenet_weights(model, file);
  return {r.loaded, r.skipped, r.sha256};
}

double max_weight_difference(const std::filesystem::path& a, const std::filesystem::path& b) {
  // Archives written by torch::serialize load as TorchScript modules: compare every tensor by name.
  auto tensors = [](const std::filesystem::path& f) {
    std::map<std::string, torch::Tensor> out;
    auto m = torch::jit::load(f.string());
    for (const auto& p : m.named_parameters(true)) out[p.name] = p.value;
    for (const auto& t : m.named_buffers(true)) out[t.name] = t.value;
    for (const auto& t : m.named_attributes(true))
      if (t.value.isTensor()) out[t.name] = t.value.toTensor();
    return out;
  };
  const auto x = tensors(a), y = tensors(b);
  if (x.size() != y.size() || x.empty()) return INFINITY;
  double worst = 0;
  for (const auto& [name, ta] : x) {
    auto it = y.find(name);
    if (it == y.end() || it->second.sizes() != ta.sizes()) return INFINITY;
    if (ta.numel() == 0) continue;
    worst = std::max(worst, (ta.to(torch::kDouble) - it->second.to(torch::kDouble)).abs().max().item<double>());
  }
  return worst;
}

} // namespace curator::retrain
