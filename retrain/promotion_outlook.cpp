#include "retrain/promotion_outlook.hpp"

#include "core/config.hpp"
#include "core/enum_names.hpp"
#include "core/error.hpp"
#include "core/setting_keys.hpp"
#include "dataset/snapshot.hpp"
#include "retrain/model_registry.hpp"

#include <SQLiteCpp/Database.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>

namespace curator::retrain {

namespace {

constexpr core::EnumNames<OutlookReason, 5> kReasons{"outlook reason",
                                                     {{{OutlookReason::ok, "ok"},
                                                       {OutlookReason::init_weights_missing, "init_weights_missing"},
                                                       {OutlookReason::scratch_only, "scratch_only"},
                                                       {OutlookReason::no_confirmed_data, "no_confirmed_data"},
                                                       {OutlookReason::too_few_test_videos, "too_few_test_videos"}}}};

} // namespace

const char* outlook_reason_name(OutlookReason reason) { return kReasons.name(reason); }

nlohmann::json PromotionOutlook::to_json() const {
  return {{"can_promote", can_promote}, {"reason", outlook_reason_name(reason)}, {"sentence", sentence}};
}

bool PromotionOutlook::operator==(const PromotionOutlook& o) const {
  return can_promote == o.can_promote && reason == o.reason && sentence == o.sentence;
}

namespace {

PromotionOutlook refuse(OutlookReason reason, std::string sentence) { return {false, reason, std::move(sentence)}; }

bool judged(const SourceTestVideos& s, int min) { return s.real >= min && s.fake >= min; }

// The source nearest to being judged: the most videos of its scarcer label, then the most in all.
const SourceTestVideos* nearest(const std::vector<SourceTestVideos>& test) {
  const SourceTestVideos* best = nullptr;
  for (const auto& s : test) {
    const auto key = [](const SourceTestVideos& x) { return std::make_pair(std::min(x.real, x.fake), x.real + x.fake); };
    if (!best || key(s) > key(*best)) best = &s;
  }
  return best;
}

// "about 1 in 6 videos goes to the test split", from dataset.test_fraction.
std::string test_share(double fraction) {
  if (!(fraction > 0)) return "no video goes to the test split (dataset.test_fraction is 0)";
  return "about 1 in " + std::to_string(static_cast<long>(std::lround(1 / fraction))) + " videos goes to the test split";
}

std::optional<PromotionOutlook> initialisation(const OutlookInputs& in) {
  if (in.backbone == "faceapi") return std::nullopt;
  if (!in.init_weights.empty()) {
    if (in.init_weights_exist) return std::nullopt;
    return refuse(OutlookReason::init_weights_missing,
                  "Nothing can be promoted: train.init_weights names " + in.init_weights +
                      ", which does not exist, so every round would fail; fix the path, or clear it and set "
                      "train.backbone = faceapi (the default).");
  }
  if (in.allow_scratch) return std::nullopt;
  return refuse(OutlookReason::scratch_only,
                "Nothing can be promoted: every candidate would be trained from scratch (train.backbone = " +
                    in.backbone +
                    " with no train.init_weights) and promotion.allow_scratch is false; set train.backbone = faceapi "
                    "(the default) or give ImageNet weights in train.init_weights.");
}

std::string counts_of(const SourceTestVideos& s) {
  return s.source + " with " + std::to_string(s.real) + " real, " + std::to_string(s.fake) + " fake";
}

} // namespace

PromotionOutlook promotion_outlook(const OutlookInputs& in) {
  if (auto refused = initialisation(in)) return *refused;
  const std::string need = std::to_string(in.min_test_videos) + " confirmed real and " +
                           std::to_string(in.min_test_videos) + " confirmed fake test videos";
  if (in.confirmed_videos == 0)
    return refuse(OutlookReason::no_confirmed_data,
                  "Nothing can be promoted yet: no video with faces is confirmed (or none has a split yet); review "
                  "submissions until a source has " + need + " (" + test_share(in.test_fraction) + ").");
  const SourceTestVideos* best = nearest(in.test);
  if (!best || !judged(*best, in.min_test_videos))
    return refuse(OutlookReason::too_few_test_videos,
                  "Nothing can be promoted yet: no source has " + need + " (best: " +
                      (best ? counts_of(*best) : std::string("none in the test split")) +
                      "); confirm more reviews (" + test_share(in.test_fraction) +
                      ") or lower promotion.min_test_videos.");
  std::string sources;
  for (const auto& s : in.test)
    if (judged(s, in.min_test_videos)) sources += (sources.empty() ? "" : ", ") + s.source;
  return {true, OutlookReason::ok,
          "A round can promote: the gate can judge " + sources + " (" + std::to_string(in.min_test_videos) +
              "+ confirmed real and fake test videos)" +
              (in.has_champion ? "; a candidate must beat the champion there."
                               : "; a first champion needs the AUC lower bound of every judged source to reach promotion.first_min_auc.")};
}

OutlookInputs outlook_inputs(const core::Config& config, SQLite::Database& conn) {
  OutlookInputs in;
  in.backbone = config.get(core::keys::train_backbone);
  in.init_weights = config.get(core::keys::train_init_weights);
  const auto params = nlohmann::json::parse(config.get(core::keys::scheduler_params), nullptr, false);
  if (params.is_discarded() || !params.is_object()) throw ConfigError("scheduler.params must be a JSON object");
  if (params.contains("backbone") && params["backbone"].is_string()) in.backbone = params["backbone"].get<std::string>();
  if (params.contains("init_weights") && params["init_weights"].is_string())
    in.init_weights = params["init_weights"].get<std::string>();
  std::error_code ec;
  in.init_weights_exist = !in.init_weights.empty() && std::filesystem::is_regular_file(in.init_weights, ec);
  in.allow_scratch = config.get(core::keys::promotion_allow_scratch);
  in.min_test_videos = static_cast<int>(config.get(core::keys::promotion_min_test_videos));
  in.test_fraction = config.get(core::keys::dataset_test_fraction);
  const auto models = ModelRegistry::status(conn); // null before the registry's tables exist
  in.has_champion = models.is_object() && models.contains("champion") && models["champion"].is_number();
  for (const auto& c : dataset::member_counts(conn)) {
    in.confirmed_videos += c.real_videos + c.fake_videos;
    if (c.split == "test" && c.source != "all") in.test.push_back({c.source, c.real_videos, c.fake_videos});
  }
  return in;
}

PromotionOutlook promotion_outlook(const core::Config& config, SQLite::Database& conn) {
  return promotion_outlook(outlook_inputs(config, conn));
}

} // namespace curator::retrain
