#include "retrain/promotion_gate.hpp"

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/sha256.hpp"
#include "retrain/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

namespace curator::retrain {

GateConfig GateConfig::from_config(const core::Config& c) {
  GateConfig g;
  g.metric = c.get_string("promotion.metric");
  g.min_test_videos = static_cast<int>(c.get_int("promotion.min_test_videos"));
  g.tolerance = c.get_double("promotion.tolerance");
  g.first_min_auc = c.get_double("promotion.first_min_auc");
  g.resamples = static_cast<int>(c.get_int("promotion.resamples"));
  g.allow_scratch = c.get_bool("promotion.allow_scratch");
  return g;
}

nlohmann::json GateConfig::to_json() const {
  return {{"metric", metric},         {"min_test_videos", min_test_videos}, {"tolerance", tolerance},
          {"first_min_auc", first_min_auc}, {"resamples", resamples},     {"seed", seed},
          {"allow_scratch", allow_scratch}};
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

nlohmann::json num(double x) { return std::isnan(x) ? nlohmann::json() : nlohmann::json(x); }

std::string fmt(double x) {
  if (std::isnan(x)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.3f", x);
  return buf;
}
std::string fmt_plain(double x) {
  if (std::isnan(x)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", x);
  return buf;
}

struct Video {
  int label = 0;
  std::vector<size_t> frames;
  double candidate = kNaN, champion = kNaN;
};

// Linear interpolation between order statistics (numpy's default): symmetric, so the interval of
// champion - candidate mirrors that of candidate - champion.
double percentile(std::vector<double>& v, double q) {
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

Estimate estimate(double value, std::vector<double>& draws) {
  return {value, percentile(draws, 0.025), percentile(draws, 0.975)};
}

// Paired, stratified bootstrap over one source's videos: the candidate's and the champion's AUC and
// their difference, at video level (on `metric`) and frame level, from the same draws.
void bootstrap(const PairedScores& s, const std::vector<Video>& videos, bool has_champion, const GateConfig& g,
               uint64_t seed, SourceVerdict& v) {
  std::vector<size_t> reals, fakes;
  for (size_t i = 0; i < videos.size(); ++i) (videos[i].label ? fakes : reals).push_back(i);
  auto video_aucs = [&](const std::vector<size_t>& pick, double& cand, double& champ) {
    std::vector<double> a, b;
    std::vector<int> l;
    for (size_t i : pick) {
      a.push_back(videos[i].candidate);
      b.push_back(videos[i].champion);
      l.push_back(videos[i].label);
    }
    cand = roc_auc(a, l);
    champ = has_champion ? roc_auc(b, l) : kNaN;
  };
  auto frame_aucs = [&](const std::vector<size_t>& pick, double& cand, double& champ) {
    std::vector<double> a, b;
    std::vector<int> l;
    for (size_t i : pick)
      for (size_t f : videos[i].frames) {
        a.push_back(s.candidate[f]);
        if (has_champion) b.push_back(s.champion[f]);
        l.push_back(s.label[f]);
      }
    cand = roc_auc(a, l);
    champ = has_champion ? roc_auc(b, l) : kNaN;
  };
  std::vector<size_t> all(videos.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  double c = 0, h = 0, cf = 0, hf = 0;
  video_aucs(all, c, h);
  frame_aucs(all, cf, hf);
  std::vector<double> dc, dh, dd, fc, fh, fd;
  std::mt19937_64 rng(seed);
  std::vector<size_t> pick;
  for (int r = 0; r < g.resamples && !reals.empty() && !fakes.empty(); ++r) {
    pick.clear();
    for (const auto* stratum : {&reals, &fakes}) {
      std::uniform_int_distribution<size_t> one(0, stratum->size() - 1);
      for (size_t k = 0; k < stratum->size(); ++k) pick.push_back((*stratum)[one(rng)]);
    }
    double a = 0, b = 0, fa = 0, fb = 0;
    video_aucs(pick, a, b);
    frame_aucs(pick, fa, fb);
    dc.push_back(a), fc.push_back(fa);
    if (has_champion) dh.push_back(b), dd.push_back(a - b), fh.push_back(fb), fd.push_back(fa - fb);
  }
  v.candidate = estimate(c, dc);
  v.candidate_frames = estimate(cf, fc);
  v.champion = has_champion ? estimate(h, dh) : Estimate{kNaN, kNaN, kNaN};
  v.champion_frames = has_champion ? estimate(hf, fh) : Estimate{kNaN, kNaN, kNaN};
  v.delta = has_champion ? estimate(c - h, dd) : Estimate{kNaN, kNaN, kNaN};
  v.delta_frames = has_champion ? estimate(cf - hf, fd) : Estimate{kNaN, kNaN, kNaN};
}

// A fixed seed per (gate seed, source), so sources draw independently and decisions repeat exactly.
uint64_t source_seed(uint64_t seed, const std::string& source) {
  const auto h = core::sha256_hex(source);
  return seed * 0x9E3779B97F4A7C15ULL ^ std::stoull(h.substr(0, 15), nullptr, 16);
}

SourceVerdict judge(const std::string& name, const PairedScores& s, bool has_champion, const GateConfig& g) {
  const size_t n = s.video.size();
  if (s.label.size() != n || s.candidate.size() != n || (has_champion && s.champion.size() != n))
    throw InvalidInput("source " + name + ": scores and labels differ in length");
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(s.candidate[i]) || (has_champion && !std::isfinite(s.champion[i])))
      throw InvalidInput("source " + name + ": a model gave a non-finite score (a diverged model is never promoted)");
  std::map<int64_t, Video> by_video;
  for (size_t i = 0; i < n; ++i) {
    auto& v = by_video[s.video[i]];
    v.label = s.label[i];
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
  SourceVerdict v;
  v.source = name;
  v.frames = static_cast<int>(n);
  for (const auto& video : videos) (video.label ? v.fake_videos : v.real_videos) += 1;
  bootstrap(s, videos, has_champion, g, source_seed(g.seed, name), v);
  if (g.metric == "frames") { // the gate's numbers are the frame-level ones
    v.candidate = v.candidate_frames;
    v.champion = v.champion_frames;
    v.delta = v.delta_frames;
  }
  v.judged = v.real_videos >= g.min_test_videos && v.fake_videos >= g.min_test_videos;
  const std::string counts = std::to_string(v.real_videos) + " real and " + std::to_string(v.fake_videos) + " fake";
  if (!v.judged) {
    v.verdict = "unjudged";
    v.reason = counts + " test videos (needs " + std::to_string(g.min_test_videos) + " of each): not judged";
  } else if (!has_champion) {
    const bool ok = v.candidate.low >= g.first_min_auc;
    v.verdict = ok ? "passes_minimum" : "below_minimum";
    v.reason = "AUC " + fmt_plain(v.candidate.value) + " [" + fmt_plain(v.candidate.low) + ", " +
               fmt_plain(v.candidate.high) + "] on " + counts + " videos; lower bound " + (ok ? ">=" : "<") +
               " the first-model minimum " + fmt_plain(g.first_min_auc);
  } else {
    v.verdict = v.delta.low > 0 ? "better" : v.delta.low >= -g.tolerance ? "not_worse" : "worse";
    v.reason = "dAUC " + fmt(v.delta.value) + " [" + fmt(v.delta.low) + ", " + fmt(v.delta.high) + "] on " + counts +
               " videos (" + fmt_plain(v.candidate.value) + " vs " + fmt_plain(v.champion.value) + "): " +
               (v.verdict == "better" ? "better with 95% confidence"
                : v.verdict == "not_worse" ? "not worse than the tolerance " + fmt_plain(g.tolerance)
                                           : "worse: the lower bound is below -" + fmt_plain(g.tolerance));
  }
  return v;
}

} // namespace

nlohmann::json Estimate::to_json() const { return {{"value", num(value)}, {"low", num(low)}, {"high", num(high)}}; }

nlohmann::json SourceVerdict::to_json() const {
  return {{"source", source},
          {"judged", judged},
          {"real_videos", real_videos},
          {"fake_videos", fake_videos},
          {"frames", frames},
          {"candidate_auc", candidate.to_json()},
          {"champion_auc", champion.to_json()},
          {"delta", delta.to_json()},
          {"frames_auc", {{"candidate", candidate_frames.to_json()},
                          {"champion", champion_frames.to_json()},
                          {"delta", delta_frames.to_json()}}},
          {"verdict", verdict},
          {"reason", reason}};
}

nlohmann::json GateDecision::to_json() const {
  nlohmann::json s = nlohmann::json::array();
  for (const auto& v : sources) s.push_back(v.to_json());
  return {{"promote", promote}, {"summary", summary}, {"init", init}, {"sources", s}};
}

double video_probability(const std::vector<double>& frames, const std::string& metric) {
  return metric == "videos_mean" ? mean_probability(frames) : confident_strategy(frames);
}

GateDecision promotion_gate(const std::map<std::string, PairedScores>& sources, bool has_champion,
                            const std::string& candidate_init, const GateConfig& g) {
  if (g.metric != "frames" && g.metric != "videos_mean" && g.metric != "videos_confident")
    throw InvalidInput("unknown gate metric '" + g.metric + "'");
  GateDecision d;
  d.init = candidate_init;
  int judged = 0;
  bool any_better = false, blocking = false;
  std::string blocked_by;
  for (const auto& [name, scores] : sources) {
    if (name == "all") continue; // the gate is per source
    auto v = judge(name, scores, has_champion, g);
    if (v.judged) {
      ++judged;
      any_better |= v.verdict == "better";
      if (v.verdict == "worse" || v.verdict == "below_minimum") {
        blocking = true;
        if (blocked_by.empty()) blocked_by = name;
      }
    }
    d.sources.push_back(std::move(v));
  }
  const bool scratch = candidate_init.empty() || candidate_init == "scratch";
  if (judged == 0) {
    d.summary = "no source has " + std::to_string(g.min_test_videos) +
                " real and as many fake test videos: nothing can be judged, nothing is promoted";
  } else if (scratch && !g.allow_scratch) {
    d.summary = "the candidate was trained from scratch (no ImageNet weights; promotion.allow_scratch is false): "
                "not promoted";
  } else if (blocking) {
    d.summary = has_champion ? "source " + blocked_by + " got worse beyond the tolerance: the champion stays"
                             : "source " + blocked_by + " is below the first-model minimum AUC: not promoted";
  } else if (has_champion && !any_better) {
    d.summary = "no judged source is better with 95% confidence: the champion stays";
  } else {
    d.promote = true;
    d.summary = has_champion ? "no judged source got worse and at least one is better with 95% confidence: promoted"
                             : "first champion: every judged source's AUC lower bound reaches the minimum";
  }
  return d;
}

} // namespace curator::retrain
