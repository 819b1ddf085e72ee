#include "retrain/promotion_gate.hpp"

#include "core/config.hpp"

#include <cmath>
#include <cstdio>

namespace curator::retrain {

GateConfig GateConfig::from_config(const core::Config& c) {
  GateConfig g;
  g.metric = c.get_string("promotion.metric");
  g.min_test_videos = static_cast<int>(c.get_int("promotion.min_test_videos"));
  g.tolerance = c.get_double("promotion.tolerance");
  g.margin = c.get_double("promotion.margin");
  g.first_min_auc = c.get_double("promotion.first_min_auc");
  return g;
}

nlohmann::json GateConfig::to_json() const {
  return {{"metric", metric}, {"min_test_videos", min_test_videos}, {"tolerance", tolerance}, {"margin", margin},
          {"first_min_auc", first_min_auc}};
}

nlohmann::json GateDecision::to_json() const {
  nlohmann::json s = nlohmann::json::array();
  auto num = [](double x) { return std::isnan(x) ? nlohmann::json() : nlohmann::json(x); };
  for (const auto& v : sources)
    s.push_back({{"source", v.source}, {"eligible", v.eligible}, {"candidate_auc", num(v.candidate_auc)},
                 {"champion_auc", num(v.champion_auc)}, {"verdict", v.verdict}, {"reason", v.reason}});
  return {{"promote", promote}, {"summary", summary}, {"sources", s}};
}

namespace {

double auc_of(const nlohmann::json& metrics, const std::string& source, const std::string& metric) {
  if (!metrics.is_object() || !metrics.contains(source)) return NAN;
  const auto& m = metrics[source];
  if (!m.contains(metric) || !m[metric].contains("auc")) return NAN;
  const auto& v = m[metric]["auc"]["value"];
  return v.is_number() ? v.get<double>() : NAN;
}

std::string fmt(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", x);
  return buf;
}

} // namespace

GateDecision promotion_gate(const nlohmann::json& candidate, const nlohmann::json& champion, const GateConfig& g) {
  GateDecision d;
  const bool has_champion = !champion.is_null();
  bool any_better = false, any_blocking = false;
  int eligible = 0;
  for (const auto& [source, m] : candidate.items()) {
    if (source == "all") continue; // the gate is per source
    SourceVerdict v;
    v.source = source;
    const auto& videos = m.contains("videos_mean") ? m["videos_mean"] : nlohmann::json::object();
    const int reals = videos.value("reals", 0), fakes = videos.value("fakes", 0);
    v.candidate_auc = auc_of(candidate, source, g.metric);
    v.champion_auc = has_champion ? auc_of(champion, source, g.metric) : NAN;
    v.eligible = reals >= g.min_test_videos && fakes >= g.min_test_videos && !std::isnan(v.candidate_auc);
    if (!v.eligible) {
      v.verdict = "too_few_videos";
      v.reason = std::to_string(reals) + " real and " + std::to_string(fakes) + " fake test videos (needs " +
                 std::to_string(g.min_test_videos) + " of each): not counted";
    } else if (!has_champion || std::isnan(v.champion_auc)) {
      ++eligible;
      const bool ok = v.candidate_auc >= g.first_min_auc;
      v.verdict = ok ? "passes_minimum" : "below_minimum";
      v.reason = "AUC " + fmt(v.candidate_auc) + (ok ? " >= " : " < ") + "the first-model minimum " + fmt(g.first_min_auc);
      any_blocking |= !ok;
      if (has_champion) any_better |= ok; // a source the champion was never measured on
    } else {
      ++eligible;
      if (v.candidate_auc < v.champion_auc - g.tolerance) {
        v.verdict = "worse";
        any_blocking = true;
      } else if (v.candidate_auc > v.champion_auc + g.margin) {
        v.verdict = "better";
        any_better = true;
      } else {
        v.verdict = "equal";
      }
      v.reason = "AUC " + fmt(v.candidate_auc) + " vs champion " + fmt(v.champion_auc) + " (tolerance " +
                 fmt(g.tolerance) + ", margin " + fmt(g.margin) + ")";
    }
    d.sources.push_back(v);
  }
  if (eligible == 0) {
    d.summary = "no source has enough test videos to judge";
  } else if (any_blocking) {
    d.summary = has_champion ? "a source got worse (or fell below the minimum): the champion stays"
                             : "a source is below the first-model minimum AUC";
  } else if (has_champion && !any_better) {
    d.summary = "no source improved by more than the margin: the champion stays";
  } else {
    d.promote = true;
    d.summary = has_champion ? "no source got worse and at least one improved: promoted" : "first champion: every source passes the minimum";
  }
  return d;
}

} // namespace curator::retrain
