#include "retrain/scoring_model.hpp"

#include "core/error.hpp"
#include "retrain/augment.hpp"
#include "retrain/detector_model.hpp"
#include "retrain/metrics.hpp"
#include "retrain/model_io.hpp"

namespace curator::retrain {

bool native_bf16() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("amx-bf16") || __builtin_cpu_supports("avx512bf16");
}

Precision parse_precision(const std::string& text) {
  if (text == "fp32") return Precision::fp32;
  if (text == "bf16") return Precision::bf16;
  if (text == "auto") return native_bf16() ? Precision::bf16 : Precision::fp32;
  throw InvalidInput("precision must be auto, fp32 or bf16, not '" + text + "'");
}

const char* to_string(Precision precision) { return precision == Precision::bf16 ? "bf16" : "fp32"; }

struct ScoringModel::Net {
  Detector model;
};

ScoringModel::ScoringModel(ModelRef ref, Precision precision) : ref_(std::move(ref)), precision_(precision) {
  Detector model(detector_options(ref_.params));
  load_weights(*model, ref_.weights);
  model->eval();
  if (precision_ == Precision::bf16) model->to(torch::kBFloat16);
  use_channels_last(*model);
  net_ = std::make_unique<Net>(Net{model});
}

ScoringModel::~ScoringModel() = default;

std::vector<double> ScoringModel::score(const std::vector<cv::Mat>& rgb_crops) const {
  c10::InferenceMode inference;
  std::vector<double> out;
  out.reserve(rgb_crops.size());
  const int size = ref_.params.image_size, batch = std::max(1, ref_.params.batch);
  const auto norm = parse_input_norm(ref_.params.resolved_input_norm());
  const auto dtype = precision_ == Precision::bf16 ? torch::kBFloat16 : torch::kFloat;
  for (size_t first = 0; first < rgb_crops.size(); first += batch) {
    const size_t n = std::min<size_t>(batch, rgb_crops.size() - first);
    std::vector<float> data(n * 3 * size * size);
    for (size_t i = 0; i < n; ++i) to_chw(rgb_crops[first + i], size, data.data() + i * 3 * size * size, norm, ref_.params.detail);
    const auto x = torch::from_blob(data.data(), {static_cast<int64_t>(n), 3, size, size})
                       .to(dtype)
                       .contiguous(torch::MemoryFormat::ChannelsLast);
    const auto prob = torch::sigmoid(net_->model->forward(x).to(torch::kFloat)).contiguous();
    out.insert(out.end(), prob.data_ptr<float>(), prob.data_ptr<float>() + n);
  }
  require_finite(out, "fake probability");
  return out;
}

std::shared_ptr<const ScoringModel> ScoringModelCache::get(int64_t version, const std::filesystem::path& dir) {
  std::lock_guard lock(mutex_);
  if (!model_ || version_ != version) {
    model_ = std::make_shared<const ScoringModel>(ModelRef::from_dir(dir), precision_);
    version_ = version;
    ++loads_;
  }
  return model_;
}

int ScoringModelCache::loads() const {
  std::lock_guard lock(mutex_);
  return loads_;
}

} // namespace curator::retrain
