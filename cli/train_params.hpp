#pragma once
// Training parameters from the configuration (train.*) and a --params JSON object, for `curator train`
// and `curator experiment`.
#include "core/config.hpp"
#include "retrain/training.hpp"

#include <string>

namespace curator::cli {

/// train.backbone, train.init_weights, train.image_size and train.loader_workers, then the fields of
/// `params_json` (empty: none). Throws InvalidInput for JSON that is not an object.
retrain::TrainParams configured_train_params(const core::Config& config, const std::string& params_json);

} // namespace curator::cli
