#include "core/config.hpp"
#include "core/error.hpp"
#include "core/setting_keys.hpp"
#include "retrain/augment.hpp"
#include "retrain/faceapi_trunk.hpp"
#include "retrain/training.hpp"

#include <cmath>

namespace curator::retrain {

nlohmann::json TrainParams::to_json() const {
  return {{"backbone", backbone},       {"optimizer", optimizer},     {"lr", lr},
          {"backbone_lr", backbone_lr}, {"freeze", freeze},           {"augment", augment},
          {"sbi", sbi},                 {"source_weights", source_weights}, {"pooling", pooling}, {"detail", detail},
          {"schedule", schedule},       {"epochs", epochs},
          {"batch", batch},             {"dropout", dropout},
          {"weight_decay", weight_decay}, {"hidden", hidden},
          {"train_source", train_source}, {"image_size", image_size},
          {"steps_per_epoch", steps_per_epoch}, {"patience", patience},
          {"seed", seed},               {"init_weights", init_weights},
          {"loader_workers", loader_workers}, {"bootstrap", bootstrap},
          {"input_norm", resolved_input_norm()}};
}

std::string TrainParams::resolved_input_norm() const {
  return input_norm.empty() ? input_norm_name(input_norm_for(backbone)) : input_norm;
}

TrainParams TrainParams::from_json(const nlohmann::json& j) {
  TrainParams p;
  if (!j.is_object()) throw InvalidInput("training parameters must be a JSON object");
  try {
    for (const auto& [key, value] : j.items()) {
      if (key == "backbone") p.backbone = value.get<std::string>();
      else if (key == "optimizer") p.optimizer = value.get<std::string>();
      else if (key == "lr") p.lr = value.get<double>();
      else if (key == "backbone_lr") p.backbone_lr = value.get<double>();
      else if (key == "freeze") p.freeze = value.get<std::string>();
      else if (key == "augment") p.augment = value.get<std::string>();
      else if (key == "sbi") p.sbi = value.get<double>();
      else if (key == "source_weights") p.source_weights = value.get<std::string>();
      else if (key == "pooling") p.pooling = value.get<std::string>();
      else if (key == "detail") p.detail = value.get<int>();
      else if (key == "schedule") p.schedule = value.get<std::string>();
      else if (key == "epochs") p.epochs = value.get<int>();
      else if (key == "batch") p.batch = value.get<int>();
      else if (key == "dropout") p.dropout = value.get<double>();
      else if (key == "weight_decay") p.weight_decay = value.get<double>();
      else if (key == "hidden") p.hidden = value.get<int>();
      else if (key == "train_source") p.train_source = value.get<std::string>();
      else if (key == "image_size") p.image_size = value.get<int>();
      else if (key == "steps_per_epoch") p.steps_per_epoch = value.get<int>();
      else if (key == "patience") p.patience = value.get<int>();
      else if (key == "seed") p.seed = value.get<uint64_t>();
      else if (key == "init_weights") p.init_weights = value.get<std::string>();
      else if (key == "loader_workers") p.loader_workers = value.get<int>();
      else if (key == "bootstrap") p.bootstrap = value.get<int>();
      else if (key == "input_norm") p.input_norm = value.get<std::string>();
      else throw InvalidInput("unknown training parameter '" + key + "'");
    }
  } catch (const nlohmann::json::exception& e) {
    throw InvalidInput(std::string("training parameter of the wrong type: ") + e.what());
  }
  p.validate();
  return p;
}

void TrainParams::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw InvalidInput("training parameter out of range: " + what);
  };
  need(backbone == "resnet18" || backbone == "xception" || backbone == "faceapi", "backbone is faceapi, resnet18 or xception");
  need(backbone_lr >= 0 && backbone_lr <= 100, "0 <= backbone_lr <= 100");
  need(freeze == "none" || freeze == "backbone", "freeze is none or backbone");
  need(augment == "strong" || augment == "mild", "augment is strong or mild");
  need(sbi >= 0 && sbi <= 1, "0 <= sbi <= 1");
  need(source_weights == "equal" || source_weights == "sqrt", "source_weights is equal or sqrt");
  need(pooling == "mean" || pooling == "mean_std", "pooling is mean or mean_std");
  need(detail == 0 || (detail >= 16 && detail <= image_size), "detail is 0 or 16 .. image_size");
  need(backbone != "faceapi" || image_size >= 112, "image_size >= 112 for the faceapi backbone (four halvings)");
  need(backbone != "faceapi" || !init_weights.empty(),
       "the faceapi backbone needs face-api's recognition weights (init_weights: the manifest in faces.models_dir)");
  need(optimizer == "adam" || optimizer == "sgd", "optimizer is adam or sgd");
  need(schedule == "constant" || schedule == "one_cycle", "schedule is constant or one_cycle");
  need(lr > 0 && lr < 10 && std::isfinite(lr), "0 < lr < 10");
  need(epochs >= 1 && epochs <= 1000, "1 <= epochs <= 1000");
  need(batch >= 1 && batch <= 4096, "1 <= batch <= 4096");
  need(dropout >= 0 && dropout < 1, "0 <= dropout < 1");
  need(weight_decay >= 0 && weight_decay < 1, "0 <= weight_decay < 1");
  need(hidden >= 0 && hidden <= 8192, "0 <= hidden <= 8192");
  need(image_size >= 32 && image_size <= 1024, "32 <= image_size <= 1024");
  need(steps_per_epoch >= 0, "steps_per_epoch >= 0");
  need(patience >= 1, "patience >= 1");
  need(loader_workers >= 1 && loader_workers <= 64, "1 <= loader_workers <= 64");
  need(bootstrap >= 0 && bootstrap <= 100000, "0 <= bootstrap <= 100000");
  need(!train_source.empty(), "train_source is a source name or all");
  need(input_norm.empty() || input_norm == "imagenet" || input_norm == "half" || input_norm == "faceapi",
       "input_norm is imagenet, half or faceapi");
}

TrainParams configured_train_params(const core::Config& c, const nlohmann::json& overrides) {
  if (!overrides.is_null() && !overrides.is_object()) throw InvalidInput("training parameters must be a JSON object");
  TrainParams p;
  p.backbone = c.get(core::keys::train_backbone);
  if (overrides.contains("backbone") && overrides["backbone"].is_string()) p.backbone = overrides["backbone"];
  p.init_weights = default_init_weights(p.backbone, c.get(core::keys::train_init_weights), c.get(core::keys::faces_models_dir));
  const auto size = static_cast<int>(c.get(core::keys::train_image_size));
  p.image_size = size > 0 ? size : native_image_size(p.backbone);
  p.loader_workers = static_cast<int>(c.get(core::keys::train_loader_workers));
  p.augment = c.get(core::keys::train_augment);
  p.sbi = c.get(core::keys::train_sbi);
  p.source_weights = c.get(core::keys::train_source_weights);
  p.pooling = c.get(core::keys::train_pooling);
  // Freezing only makes sense for pretrained weights: a backbone from scratch always trains.
  const bool pretrained = p.backbone == "faceapi" || !p.init_weights.empty();
  p.freeze = pretrained ? c.get(core::keys::train_freeze) : "none";
  p.backbone_lr = c.get(core::keys::train_backbone_lr);
  if (overrides.is_null() || overrides.empty()) {
    p.validate();
    return p;
  }
  auto j = p.to_json();
  j.update(overrides);
  return TrainParams::from_json(j);
}

int native_image_size(const std::string& backbone) {
  return backbone == "faceapi" ? 160 : backbone == "xception" ? 299 : 224;
}

std::string default_init_weights(const std::string& backbone, const std::string& configured,
                                 const std::filesystem::path& face_models_dir) {
  if (backbone == "faceapi") return faceapi_manifest(face_models_dir).string(); // ImageNet files are not for it
  return configured;
}

} // namespace curator::retrain
