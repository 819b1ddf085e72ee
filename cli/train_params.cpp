#include "cli/train_params.hpp"

#include "core/error.hpp"

namespace curator::cli {

retrain::TrainParams configured_train_params(const core::Config& config, const std::string& params_json) {
  retrain::TrainParams p;
  p.backbone = config.get_string("train.backbone");
  p.init_weights = config.get_string("train.init_weights");
  p.image_size = static_cast<int>(config.get_int("train.image_size"));
  p.loader_workers = static_cast<int>(config.get_int("train.loader_workers"));
  if (params_json.empty()) return p;
  auto j = p.to_json();
  const auto extra = nlohmann::json::parse(params_json, nullptr, false);
  if (extra.is_discarded() || !extra.is_object()) throw InvalidInput("--params must be a JSON object");
  j.update(extra);
  return retrain::TrainParams::from_json(j);
}

} // namespace curator::cli
