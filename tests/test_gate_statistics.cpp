// The gate's statistics on synthetic clustered data: the unit bootstrap's coverage against the video
// bootstrap's, the false promotions of a null candidate over sources and rounds (before and after
// multiplicity control), and the power left for a real improvement.
#include "retrain/metrics.hpp"
#include "retrain/promotion_gate.hpp"
#include "retrain/search.hpp"
#include "retrain/unit_bootstrap.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <iostream>
#include <random>

using namespace curator;

namespace {

// A unit of 1 real and `fakes` fakes (one person: their real clip and the fakes made of it). With
// `whole_unit`, one offset moves all the unit's scores (a person the model finds easy or hard as a
// whole); else the real and the fakes have offsets of their own, shared by the unit's fakes (how well the
// generators worked on that person).
struct Clustered {
  std::vector<double> scores;
  std::vector<int> labels;
  std::vector<std::string> units;
};

Clustered clustered(std::mt19937_64& rng, int units, int fakes, double mu, double unit_sd, double item_sd, bool whole_unit) {
  std::normal_distribution<double> n01(0, 1);
  Clustered c;
  for (int u = 0; u < units; ++u) {
    const double real_offset = unit_sd * n01(rng), fake_offset = whole_unit ? real_offset : unit_sd * n01(rng);
    for (int k = 0; k <= fakes; ++k) {
      const int label = k > 0;
      c.scores.push_back(mu * label + (label ? fake_offset : real_offset) + item_sd * n01(rng));
      c.labels.push_back(label);
      c.units.push_back("u" + std::to_string(u));
    }
  }
  return c;
}

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

bool covers(const nlohmann::json& s, double truth) {
  return s["auc"]["low"].get<double>() <= truth && truth <= s["auc"]["high"].get<double>();
}

struct Coverage {
  double unit, video;
};

// The share of `sims` samples whose 95% interval covers the expected AUC, unit and video bootstrap.
Coverage coverage(bool whole_unit, int sims) {
  const int n = 20, fakes = 8;
  const double mu = 1.0, su = 1.0, se = 0.4;
  // The expected empirical AUC: pairs of different units differ by mu + N(0, 2 (su^2 + se^2)); with
  // whole-unit offsets, the 1/n of pairs inside one unit share it and differ by mu + N(0, 2 se^2).
  const double apart = normal_cdf(mu / std::sqrt(2 * (su * su + se * se)));
  const double truth = whole_unit ? (1 - 1.0 / n) * apart + (1.0 / n) * normal_cdf(mu / std::sqrt(2 * se * se)) : apart;
  std::mt19937_64 rng(whole_unit ? 17 : 19);
  int unit_hits = 0, video_hits = 0;
  for (int s = 0; s < sims; ++s) {
    const auto c = clustered(rng, n, fakes, mu, su, se, whole_unit);
    unit_hits += covers(retrain::summarize(c.scores, c.labels, 300, s + 1, c.units), truth);
    video_hits += covers(retrain::summarize(c.scores, c.labels, 300, s + 1), truth);
  }
  return {double(unit_hits) / sims, double(video_hits) / sims};
}

} // namespace

TEST_CASE("the unit bootstrap covers the true AUC of clustered data; the video bootstrap does not", "[models]") {
  // (units of 1 real and 8 fakes)
  const int sims = 300;
  const auto fakes_share = coverage(false, sims), unit_shares = coverage(true, sims);
  std::cout << "95% interval coverage over " << sims << " samples of 20 units (1 real + 8 fakes): fakes sharing an "
            << "offset: unit bootstrap " << fakes_share.unit << ", video bootstrap " << fakes_share.video
            << "; the whole unit sharing one: unit " << unit_shares.unit << ", video " << unit_shares.video << "\n";
  CHECK(fakes_share.unit >= 0.90);
  CHECK(fakes_share.unit <= 0.99);
  CHECK(fakes_share.video <= 0.85); // too narrow: 100 fakes counted as independent
  CHECK(unit_shares.unit >= 0.90);
  CHECK(unit_shares.unit <= 0.99);
  CHECK(unit_shares.video >= 0.985); // too wide: the pairing inside each unit is thrown away
}

namespace {

// One test split of K sources, each `units` units of 1 real and 4 fakes (FF++: up to five methods a
// clip), one frame a video. How hard a person's real clip is, and how hard the fakes made of it are
// (shared by them), is the data's, the same for every model; a model trained with another seed adds its
// own per-unit effects; `gain` adds separation on one source.
constexpr int kFakesPerUnit = 4;

struct TestSplit {
  int sources, units;
  std::vector<std::vector<std::array<double, 2>>> difficulty; // [source][unit][label]
};

TestSplit test_split(std::mt19937_64& rng, int sources, int units) {
  std::normal_distribution<double> n01(0, 1);
  TestSplit t{sources, units, {}};
  for (int s = 0; s < sources; ++s) {
    t.difficulty.emplace_back();
    for (int u = 0; u < units; ++u) t.difficulty.back().push_back({0.8 * n01(rng), 0.8 * n01(rng)});
  }
  return t;
}

// The scores of one trained model on the split (seed effects drawn from `rng`): what this seed learnt
// about a person's real clip, and about the fakes made of it (shared by them).
std::vector<std::vector<double>> model_scores(std::mt19937_64& rng, const TestSplit& t, double sep, int gain_source,
                                              double gain) {
  std::normal_distribution<double> n01(0, 1);
  std::vector<std::vector<double>> out(t.sources);
  for (int s = 0; s < t.sources; ++s)
    for (int u = 0; u < t.units; ++u) {
      const double seed[2] = {0.6 * n01(rng), 0.6 * n01(rng)};
      for (int k = 0; k <= kFakesPerUnit; ++k) {
        const int label = k > 0;
        const double z = (sep + (s == gain_source ? gain : 0)) * label + t.difficulty[s][u][label] + seed[label] +
                         0.4 * n01(rng);
        out[s].push_back(1 / (1 + std::exp(-z)));
      }
    }
  return out;
}

std::map<std::string, retrain::PairedScores> paired(const TestSplit& t, const std::vector<std::vector<double>>& cand,
                                                    const std::vector<std::vector<double>>& champ, bool with_units) {
  std::map<std::string, retrain::PairedScores> out;
  for (int s = 0; s < t.sources; ++s) {
    auto& p = out["src" + std::to_string(s)];
    int64_t video = s * 100000;
    for (int u = 0; u < t.units; ++u)
      for (int k = 0; k <= kFakesPerUnit; ++k) {
        const int label = k > 0;
        const size_t i = p.video.size();
        p.video.push_back(video++);
        if (with_units) p.unit.push_back("s" + std::to_string(s) + "u" + std::to_string(u));
        p.label.push_back(label);
        p.candidate.push_back(cand[s][i]);
        p.champion.push_back(champ[s][i]);
      }
  }
  return out;
}

// The rule before this gate: a paired video bootstrap, promoted when some judged source's 95% lower
// bound is above 0 and none is below -tolerance, whatever the number of sources and looks.
bool old_rule(const retrain::GateDecision& d, double tolerance) {
  bool better = false, worse = false;
  for (const auto& v : d.sources) {
    if (!v.judged) continue;
    better |= v.delta.low > 0;
    worse |= v.delta.low < -tolerance;
  }
  return better && !worse;
}

retrain::GateConfig sim_gate() {
  retrain::GateConfig g;
  g.metric = "videos_mean";
  g.min_test_videos = 20;
  g.resamples = 100;
  return g;
}

} // namespace

TEST_CASE("a null candidate is not promoted over three sources and ten rounds; a real gain still is", "[models]") {
  const int histories = 200, rounds = 10, sources = 3, units = 60;
  const auto g = sim_gate();
  std::mt19937_64 rng(23);
  int false_before = 0, false_after = 0;
  for (int h = 0; h < histories; ++h) {
    const auto split = test_split(rng, sources, units);
    const auto champion = model_scores(rng, split, 1.2, -1, 0);
    bool before = false, after = false;
    std::map<std::string, int> looks;
    for (int r = 0; r < rounds && !(before && after); ++r) {
      const auto candidate = model_scores(rng, split, 1.2, -1, 0); // the same recipe, another seed
      auto g_round = g;
      g_round.seed = h * 100 + r + 1;
      if (!before) before = old_rule(retrain::promotion_gate(paired(split, candidate, champion, false), true, "faceapi:x",
                                                             g_round), g.tolerance);
      if (!after) {
        const auto d = retrain::promotion_gate(paired(split, candidate, champion, true), true, "faceapi:x", g_round, looks);
        after = d.promote;
        for (const auto& v : d.sources)
          if (v.judged) looks[v.source] += 1;
      }
    }
    false_before += before, false_after += after;
  }
  std::cout << "false promotions of a null candidate in " << histories << " histories of " << rounds << " rounds, "
            << sources << " sources: video bootstrap without multiplicity " << false_before
            << " (it rarely promotes anything: any source's interval reaching below -tolerance blocks), unit bootstrap "
               "with Holm and alpha spending " << false_after << "\n";
  CHECK(false_after <= histories / 20); // >= 95% never promoted

  // Power: about +0.1 AUC on one source (the others unchanged) at the first look is still found; the
  // old rule, which any source's wide interval reaching below -tolerance blocks, mostly is not.
  int found = 0, found_before = 0;
  const int trials = 40;
  double gain_auc = 0;
  for (int t = 0; t < trials; ++t) {
    const auto split = test_split(rng, sources, 100);
    const auto champion = model_scores(rng, split, 1.0, -1, 0);
    const auto candidate = model_scores(rng, split, 1.0, 0, 0.65);
    auto g_trial = g;
    g_trial.seed = 5000 + t;
    const auto d = retrain::promotion_gate(paired(split, candidate, champion, true), true, "faceapi:x", g_trial);
    gain_auc += d.sources[0].delta.value / trials;
    found += d.promote;
    found_before += old_rule(retrain::promotion_gate(paired(split, candidate, champion, false), true, "faceapi:x", g_trial),
                             g.tolerance);
  }
  std::cout << "a gain of " << gain_auc << " AUC on one of " << sources << " sources (100 units each) promoted in "
            << found << " of " << trials << " trials (the old rule: " << found_before << ")\n";
  CHECK(gain_auc >= 0.08);
  CHECK(gain_auc <= 0.15);
  CHECK(found >= trials * 8 / 10);
}

TEST_CASE("alpha spending sums to at most alpha over any number of looks; Holm orders the sources", "[models]") {
  double spent = 0;
  for (int k = 1; k <= 100000; ++k) spent += retrain::alpha_at_look(0.05, k);
  CHECK(spent <= 0.05);
  CHECK(spent > 0.0499);
  CHECK(retrain::alpha_at_look(0.05, 1) > retrain::alpha_at_look(0.05, 2));
  CHECK(retrain::normal_quantile(0.975) == Approx(1.959964).margin(1e-5));
  CHECK(retrain::normal_cdf(retrain::normal_quantile(0.01)) == Approx(0.01).margin(1e-9));
}

TEST_CASE("registering a run that validation did not pick warns that the test split is spent", "[models]") {
  auto run = [](const std::string& id, const std::string& snapshot, double val, double test) {
    retrain::RunRecord r;
    r.id = id, r.snapshot_id = snapshot, r.state = "done";
    r.metrics = {{"val", {{"wild", {{"videos_mean", {{"auc", {{"value", val}}}}}}}}},
                 {"test", {{"wild", {{"videos_mean", {{"auc", {{"value", test}}}}}}}}}};
    return r;
  };
  const std::vector<retrain::RunRecord> runs = {run("a", "s1", 0.80, 0.60), run("b", "s1", 0.70, 0.90),
                                                run("c", "s2", 0.95, 0.95)};
  CHECK(retrain::validation_auc(runs[0]) == Approx(0.80));
  CHECK(retrain::test_selection_warning(runs[0], runs).empty()); // the best by validation
  const auto w = retrain::test_selection_warning(runs[1], runs);   // the best by test only
  CHECK(w.find("run a") == std::string::npos);
  CHECK(w.find("(a has 0.800") != std::string::npos);
  CHECK(w.find("test split") != std::string::npos);
  CHECK(retrain::test_selection_warning(runs[2], runs).empty()); // alone on its snapshot
}
