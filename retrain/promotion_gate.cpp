#include "retrain/promotion_gate.hpp"

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/setting_keys.hpp"
#include "core/sha256.hpp"
#include "retrain/metrics.hpp"
#include "retrain/scoring_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

namespace curator::retrain {

GateConfig GateConfig::from_config(const core::Config& c) {
  GateConfig g;
  g.metric = c.get(core::keys::promotion_metric);
  g.min_test_videos = static_cast<int>(c.get(core::keys::promotion_min_test_videos));
  g.tolerance = c.get(core::keys::promotion_tolerance);
  g.first_min_auc = c.get(core::keys::promotion_first_min_auc);
  g.alpha = c.get(core::keys::promotion_alpha);
  g.resamples = static_cast<int>(c.get(core::keys::promotion_resamples));
  g.allow_scratch = c.get(core::keys::promotion_allow_scratch);
  g.precision = to_string(parse_precision(c.get(core::keys::score_precision)));
  return g;
}

nlohmann::json GateConfig::to_json() const {
  return {{"metric", metric},       {"min_test_videos", min_test_videos}, {"tolerance", tolerance},
          {"first_min_auc", first_min_auc}, {"alpha", alpha},             {"resamples", resamples},
          {"seed", seed},           {"allow_scratch", allow_scratch}, {"precision", precision}};
}

const char* verdict_name(Verdict v) {
  switch (v) {
  case Verdict::better: return "better";
  case Verdict::non_inferior: return "non_inferior";
  case Verdict::inconclusive: return "inconclusive";
  case Verdict::worse: return "worse";
  case Verdict::passes_minimum: return "passes_minimum";
  case Verdict::below_minimum: return "below_minimum";
  case Verdict::unjudged: return "unjudged";
  }
  return "unjudged";
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

nlohmann::json num(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(); }

std::string fmt(double x, const char* f = "%+.3f") {
  if (std::isnan(x)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}
std::string fmt_plain(double x) { return fmt(x, "%.3f"); }
std::string fmt_p(double x) { return fmt(x, "%.2g"); }

struct Video {
  int label = 0;
  std::string unit;
  std::vector<size_t> frames;
  double candidate = kNaN, champion = kNaN;
};

Estimate estimate(double value, std::vector<double> draws) {
  return {value, percentile(draws, 0.025), percentile(draws, 0.975)};
}

// A source's intervals, and the draws the decision's p-values come from.
struct Measured {
  SourceVerdict v;
  std::vector<double> delta_draws, candidate_draws;
};

// Paired cluster bootstrap over one source's videos: the candidate's and the champion's AUC and their
// difference, at video level (on `metric`) and frame level, from the same unit draws.
void bootstrap(const PairedScores& s, const std::vector<Video>& videos, bool has_champion, const GateConfig& g,
               uint64_t seed, Measured& m) {
  std::vector<std::string> unit_of;
  std::vector<int> label_of;
  for (const auto& v : videos) unit_of.push_back(v.unit), label_of.push_back(v.label);
  const UnitResampler resampler(unit_of, label_of);
  m.v.units = resampler.counts();
  // Every score set is sorted once; a draw is then the number of copies it took of each video (and so of
  // each of its frames), and each AUC one pass (DrawnAuc).
  std::vector<double> vc, vh, fcand, fchamp;
  std::vector<int> vl, fl;
  std::vector<size_t> video_of_frame;
  for (size_t i = 0; i < videos.size(); ++i) {
    vc.push_back(videos[i].candidate), vh.push_back(videos[i].champion), vl.push_back(videos[i].label);
    for (size_t f : videos[i].frames) {
      fcand.push_back(s.candidate[f]);
      fchamp.push_back(has_champion ? s.champion[f] : 0.0);
      fl.push_back(s.label[f]);
      video_of_frame.push_back(i);
    }
  }
  const DrawnAuc video_cand(vc, vl), frame_cand(fcand, fl);
  const DrawnAuc video_champ(has_champion ? vh : std::vector<double>(vc.size(), 0.0), vl);
  const DrawnAuc frame_champ(fchamp, fl);
  std::vector<uint32_t> video_copies(videos.size(), 1), frame_copies(video_of_frame.size(), 1);
  auto aucs = [&](double& c, double& h, double& cf, double& hf) {
    for (size_t k = 0; k < video_of_frame.size(); ++k) frame_copies[k] = video_copies[video_of_frame[k]];
    c = video_cand.auc(video_copies);
    h = has_champion ? video_champ.auc(video_copies) : kNaN;
    cf = frame_cand.auc(frame_copies);
    hf = has_champion ? frame_champ.auc(frame_copies) : kNaN;
  };
  double c = 0, h = 0, cf = 0, hf = 0;
  aucs(c, h, cf, hf); // every video once: the point estimates
  std::vector<double> dh, fc, fh, fd;
  std::mt19937_64 rng(seed);
  std::vector<size_t> pick;
  for (int r = 0; r < g.resamples && resampler.both_classes(); ++r) {
    resampler.draw(rng, pick);
    std::fill(video_copies.begin(), video_copies.end(), 0u);
    for (size_t i : pick) ++video_copies[i];
    double a = 0, b = 0, fa = 0, fb = 0;
    aucs(a, b, fa, fb);
    if (std::isnan(a)) continue; // a draw of mixed units only, all of one class: no AUC
    m.candidate_draws.push_back(a), fc.push_back(fa);
    if (has_champion) dh.push_back(b), m.delta_draws.push_back(a - b), fh.push_back(fb), fd.push_back(fa - fb);
  }
  const Estimate none{kNaN, kNaN, kNaN};
  m.v.candidate = estimate(c, m.candidate_draws);
  m.v.candidate_frames = estimate(cf, fc);
  m.v.champion = has_champion ? estimate(h, dh) : none;
  m.v.champion_frames = has_champion ? estimate(hf, fh) : none;
  m.v.delta = has_champion ? estimate(c - h, m.delta_draws) : none;
  m.v.delta_frames = has_champion ? estimate(cf - hf, fd) : none;
}

// A fixed seed per (gate seed, source), so sources draw independently and decisions repeat exactly.
uint64_t source_seed(uint64_t seed, const std::string& source) {
  const auto h = core::sha256_hex(source);
  return seed * 0x9E3779B97F4A7C15ULL ^ std::stoull(h.substr(0, 15), nullptr, 16);
}

void check_lengths(const std::string& name, const PairedScores& s, bool has_champion) {
  const size_t n = s.video.size();
  if (s.label.size() != n || s.candidate.size() != n || (has_champion && s.champion.size() != n) ||
      (!s.unit.empty() && s.unit.size() != n))
    throw InvalidInput("source " + name + ": scores, units and labels differ in length");
  for (size_t i = 0; i < n; ++i)
    if (has_champion && !std::isfinite(s.champion[i]))
      throw InvalidInput("source " + name + ": the champion gave a non-finite score");
}

Measured measure(const std::string& name, const PairedScores& s, bool has_champion, const GateConfig& g) {
  std::map<int64_t, Video> by_video;
  for (size_t i = 0; i < s.video.size(); ++i) {
    auto& v = by_video[s.video[i]];
    v.label = s.label[i];
    // A video without a unit is its own unit.
    v.unit = s.unit.empty() || s.unit[i].empty() ? "video-" + std::to_string(s.video[i]) : s.unit[i];
    v.frames.push_back(i);
  }
  std::vector<Video> videos;
  for (auto& [id, v] : by_video) {
    std::vector<double> a, b;
    for (size_t f : v.frames) {
      a.push_back(s.candidate[f]);
      if (has_champion) b.push_back(s.champion[f]);
    }
    v.candidate = video_probability(a, g.metric);
    if (has_champion) v.champion = video_probability(b, g.metric);
    videos.push_back(std::move(v));
  }
  Measured m;
  m.v.source = name;
  m.v.frames = static_cast<int>(s.video.size());
  for (const auto& video : videos) (video.label ? m.v.fake_videos : m.v.real_videos) += 1;
  bootstrap(s, videos, has_champion, g, source_seed(g.seed, name), m);
  if (g.metric == "frames") { // the gate's numbers are the frame-level ones
    m.v.candidate = m.v.candidate_frames;
    m.v.champion = m.v.champion_frames;
    m.v.delta = m.v.delta_frames;
  }
  return m;
}

std::string counts_text(const SourceVerdict& v) {
  return std::to_string(v.real_videos) + " real and " + std::to_string(v.fake_videos) + " fake videos in " +
         v.units.text();
}

std::string interval_text(const Estimate& e, bool signed_values) {
  auto f = signed_values ? [](double x) { return fmt(x); } : [](double x) { return fmt_plain(x); };
  return f(e.value) + " [" + f(e.low) + ", " + f(e.high) + "]";
}

// better (already decided by Holm), worse, non_inferior or inconclusive from the 95% interval.
Verdict compare(const SourceVerdict& v, bool better, double tolerance) {
  if (better) return Verdict::better;
  if (v.delta.high < -tolerance) return Verdict::worse;
  if (v.delta.low >= -tolerance) return Verdict::non_inferior;
  return Verdict::inconclusive;
}

std::string compare_reason(const SourceVerdict& v, double tolerance) {
  const std::string head = "dAUC " + interval_text(v.delta, true) + " (" + fmt_plain(v.candidate.value) + " vs " +
                           fmt_plain(v.champion.value) + ") on " + counts_text(v) + ": ";
  switch (v.verdict) {
  case Verdict::better:
    return head + "better (p " + fmt_p(v.p_value) + " <= " + fmt_p(v.level) + " after Holm and the looks spent)";
  case Verdict::worse: return head + "worse: the whole interval is below -" + fmt_plain(tolerance);
  case Verdict::non_inferior:
    return head + "non-inferior (within the tolerance " + fmt_plain(tolerance) + "), not shown better (p " +
           fmt_p(v.p_value) + " > " + fmt_p(v.level) + ")";
  default:
    return head + "inconclusive: the interval reaches below -" + fmt_plain(tolerance) + " and above it";
  }
}

// The unjudged sources' scores as one table (units keep their names; videos stay distinct).
std::optional<PairedScores> pool_small(const std::map<std::string, PairedScores>& sources,
                                       const std::vector<SourceVerdict>& verdicts) {
  PairedScores pooled;
  for (const auto& v : verdicts) {
    if (v.judged) continue;
    const auto& s = sources.at(v.source);
    for (size_t i = 0; i < s.video.size(); ++i) {
      pooled.video.push_back(s.video[i]);
      pooled.unit.push_back(s.unit.empty() ? "" : s.unit[i]);
      pooled.label.push_back(s.label[i]);
      pooled.candidate.push_back(s.candidate[i]);
      pooled.champion.push_back(s.champion[i]);
    }
  }
  if (pooled.video.empty()) return std::nullopt;
  return pooled;
}

std::string non_finite_candidate(const std::map<std::string, PairedScores>& sources) {
  for (const auto& [name, s] : sources)
    for (size_t i = 0; i < s.candidate.size(); ++i)
      if (!std::isfinite(s.candidate[i]))
        return "the candidate gave a non-finite score on a test face of " + name + " (video " +
               std::to_string(s.video[i]) + "): it diverged and is rejected";
  return "";
}

} // namespace

nlohmann::json Estimate::to_json() const { return {{"value", num(value)}, {"low", num(low)}, {"high", num(high)}}; }

nlohmann::json SourceVerdict::to_json() const {
  return {{"source", source},
          {"judged", judged},
          {"real_videos", real_videos},
          {"fake_videos", fake_videos},
          {"frames", frames},
          {"units", units.to_json()},
          {"looks_before", looks_before},
          {"candidate_auc", candidate.to_json()},
          {"champion_auc", champion.to_json()},
          {"delta", delta.to_json()},
          {"frames_auc", {{"candidate", candidate_frames.to_json()},
                          {"champion", champion_frames.to_json()},
                          {"delta", delta_frames.to_json()}}},
          {"p_value", num(p_value)},
          {"level", num(level)},
          {"verdict", verdict_name(verdict)},
          {"reason", reason}};
}

nlohmann::json GateDecision::to_json() const {
  nlohmann::json s = nlohmann::json::array();
  for (const auto& v : sources) s.push_back(v.to_json());
  nlohmann::json j = {{"promote", promote}, {"summary", summary}, {"init", init},   {"look", look},
                      {"alpha_spent", num(alpha_spent)},     {"sources", s}};
  j["small_sources"] = small_sources ? small_sources->to_json() : nlohmann::json();
  return j;
}

double video_probability(const std::vector<double>& frames, const std::string& metric) {
  return metric == "videos_mean" ? mean_probability(frames) : confident_strategy(frames);
}

GateDecision promotion_gate(const std::map<std::string, PairedScores>& sources, bool has_champion,
                            const std::string& candidate_init, const GateConfig& g,
                            const std::map<std::string, int>& looks_before) {
  if (g.metric != "frames" && g.metric != "videos_mean" && g.metric != "videos_confident")
    throw InvalidInput("unknown gate metric '" + g.metric + "'");
  if (!(g.alpha > 0 && g.alpha < 1)) throw InvalidInput("promotion.alpha must lie in (0, 1)");
  GateDecision d;
  d.init = candidate_init;
  for (const auto& [name, scores] : sources)
    if (name != "all") check_lengths(name, scores, has_champion);
  if (const auto bad = non_finite_candidate(sources); !bad.empty()) {
    d.summary = bad;
    return d;
  }
  std::vector<Measured> measured;
  for (const auto& [name, scores] : sources) {
    if (name == "all") continue; // the gate is per source
    auto m = measure(name, scores, has_champion, g);
    const auto it = looks_before.find(name);
    m.v.looks_before = it == looks_before.end() ? 0 : it->second;
    m.v.judged = m.v.real_videos >= g.min_test_videos && m.v.fake_videos >= g.min_test_videos;
    measured.push_back(std::move(m));
  }
  // The look and the error rate it may spend.
  std::vector<size_t> judged;
  for (size_t i = 0; i < measured.size(); ++i)
    if (measured[i].v.judged) {
      judged.push_back(i);
      d.look = std::max(d.look, measured[i].v.looks_before + 1);
    }
  d.alpha_spent = alpha_at_look(g.alpha, d.look);
  bool any_better = false, blocking = false;
  std::string blocked_by;
  if (has_champion) {
    // Holm's step-down over the judged sources' p-values of dAUC <= 0.
    for (size_t i : judged) measured[i].v.p_value = one_sided_p(measured[i].v.delta.value, measured[i].delta_draws);
    std::vector<size_t> order = judged;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return measured[a].v.p_value < measured[b].v.p_value; });
    bool rejecting = true;
    for (size_t r = 0; r < order.size(); ++r) {
      auto& v = measured[order[r]].v;
      v.level = d.alpha_spent / static_cast<double>(order.size() - r);
      rejecting = rejecting && v.p_value <= v.level;
      v.verdict = compare(v, rejecting, g.tolerance);
      v.reason = compare_reason(v, g.tolerance);
      any_better |= v.verdict == Verdict::better;
      if (v.verdict == Verdict::worse && blocked_by.empty()) blocked_by = v.source;
    }
  } else {
    // Every judged source must pass on its own (intersection-union): each at the look's full level.
    for (size_t i : judged) {
      auto& v = measured[i].v;
      v.p_value = one_sided_p(v.candidate.value, measured[i].candidate_draws, g.first_min_auc);
      v.level = d.alpha_spent;
      const bool no_minimum = g.first_min_auc <= 0; // 0: any first model is published (a test or demo install)
      const bool ok = no_minimum || v.p_value <= v.level;
      v.verdict = ok ? Verdict::passes_minimum : Verdict::below_minimum;
      v.reason = "AUC " + interval_text(v.candidate, false) + " on " + counts_text(v) + ": " +
                 (no_minimum ? std::string("no first-model minimum (promotion.first_min_auc = 0)")
                             : (ok ? "above" : "not shown above") + std::string(" the first-model minimum ") +
                                   fmt_plain(g.first_min_auc) + " (p " + fmt_p(v.p_value) + (ok ? " <= " : " > ") +
                                   fmt_p(v.level) + ")");
      if (!ok && blocked_by.empty()) blocked_by = v.source;
    }
  }
  for (auto& m : measured)
    if (!m.v.judged) {
      m.v.verdict = Verdict::unjudged;
      m.v.reason = counts_text(m.v) + " (needs " + std::to_string(g.min_test_videos) + " real and as many fake): not judged alone";
    }
  blocking = !blocked_by.empty();
  for (auto& m : measured) d.sources.push_back(std::move(m.v));
  // The sources too small to judge, pooled: the candidate must not be shown worse there.
  bool small_worse = false;
  if (has_champion)
    if (auto pooled = pool_small(sources, d.sources)) {
      auto m = measure("small sources", *pooled, true, g);
      if (m.v.real_videos > 0 && m.v.fake_videos > 0) {
        m.v.judged = true;
        m.v.p_value = one_sided_p(m.v.delta.value, m.delta_draws);
        m.v.verdict = compare(m.v, false, g.tolerance);
        m.v.reason = "pooled unjudged sources: " + compare_reason(m.v, g.tolerance);
        small_worse = m.v.verdict == Verdict::worse;
        d.small_sources = std::move(m.v);
      }
    }
  const bool scratch = candidate_init.empty() || candidate_init == "scratch";
  const std::string look = " (look " + std::to_string(d.look) + " at the test split, alpha " + fmt_p(d.alpha_spent) + ")";
  if (judged.empty()) {
    d.summary = "no source has " + std::to_string(g.min_test_videos) +
                " real and as many fake test videos: nothing can be judged, nothing is promoted";
  } else if (scratch && !g.allow_scratch) {
    d.summary = "the candidate was trained from scratch (no pretrained weights; promotion.allow_scratch is false): "
                "not promoted";
  } else if (blocking) {
    d.summary = has_champion ? "source " + blocked_by + " got worse beyond the tolerance: the champion stays"
                             : "source " + blocked_by + " is not shown above the first-model minimum AUC" + look +
                                   ": not promoted";
  } else if (small_worse) {
    d.summary = "the sources too small to judge alone, pooled, got worse beyond the tolerance: the champion stays";
  } else if (has_champion && !any_better) {
    d.summary = "no judged source is better with family-wise confidence" + look + ": the champion stays";
  } else {
    d.promote = true;
    d.summary = has_champion ? "better on at least one judged source with family-wise confidence" + look +
                                   ", worse on none: promoted"
                             : "first champion: every judged source's AUC is above the minimum" + look;
  }
  return d;
}

} // namespace curator::retrain
