#include "cli/train_params.hpp"

#include "core/error.hpp"

namespace curator::cli {

retrain::TrainParams configured_train_params(const core::Config& config, const std::string& params_json) {
  if (params_json.empty()) return retrain::configured_train_params(config);
  const auto extra = nlohmann::json::parse(params_json, nullptr, false);
  if (extra.is_discarded() || !extra.is_object()) throw InvalidInput("--params must be a JSON object");
  return retrain::configured_train_params(config, extra);
}

} // namespace curator::cli
