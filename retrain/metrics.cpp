#include "retrain/metrics.hpp"

#include "retrain/unit_bootstrap.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <stdexcept>

namespace curator::retrain {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Counts {
  size_t pos = 0, neg = 0;
};

Counts count(const std::vector<int>& labels) {
  Counts c;
  for (int l : labels) (l ? c.pos : c.neg) += 1;
  return c;
}

// Indices by score, highest first.
std::vector<size_t> by_score_desc(const std::vector<double>& scores) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  return order;
}

} // namespace

void require_finite(const std::vector<double>& scores, const char* what) {
  for (double s : scores)
    if (!std::isfinite(s))
      throw InvalidInput(std::string("a non-finite ") + what + " (NaN or infinite): the model diverged");
}

double roc_auc(const std::vector<double>& scores, const std::vector<int>& labels) {
  require_finite(scores);
  const Counts c = count(labels);
  if (c.pos == 0 || c.neg == 0 || scores.size() != labels.size()) return kNaN;
  // Mann-Whitney U with average ranks for ties.
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double rank_sum = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double avg_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (size_t k = i; k < j; ++k)
      if (labels[order[k]]) rank_sum += avg_rank;
    i = j;
  }
  const double p = static_cast<double>(c.pos), n = static_cast<double>(c.neg);
  return (rank_sum - p * (p + 1) / 2) / (p * n);
}

DrawnAuc::DrawnAuc(const std::vector<double>& scores, const std::vector<int>& labels) : labels_(labels) {
  require_finite(scores);
  if (scores.size() != labels.size()) throw InvalidInput("one label per score expected");
  order_.resize(scores.size());
  std::iota(order_.begin(), order_.end(), 0u);
  std::sort(order_.begin(), order_.end(), [&](uint32_t a, uint32_t b) { return scores[a] < scores[b]; });
  tie_end_.resize(order_.size());
  for (size_t i = 0; i < order_.size();) {
    size_t j = i;
    while (j < order_.size() && scores[order_[j]] == scores[order_[i]]) ++j;
    for (size_t k = i; k < j; ++k) tie_end_[k] = static_cast<uint32_t>(j);
    i = j;
  }
}

double DrawnAuc::auc(const std::vector<uint32_t>& copies) const {
  if (copies.size() != order_.size()) throw std::invalid_argument("DrawnAuc: one count per item expected");
  // Walking up the scores: each fake beats the reals below its tie group and ties half of those in it.
  double reals_below = 0, pairs = 0, fakes = 0, reals = 0;
  for (size_t i = 0; i < order_.size();) {
    const size_t end = tie_end_[i];
    double group_fakes = 0, group_reals = 0;
    for (; i < end; ++i) (labels_[order_[i]] ? group_fakes : group_reals) += copies[order_[i]];
    pairs += group_fakes * (reals_below + 0.5 * group_reals);
    reals_below += group_reals;
    fakes += group_fakes, reals += group_reals;
  }
  if (fakes == 0 || reals == 0) return kNaN;
  return pairs / (fakes * reals);
}

std::vector<RocPoint> roc_curve(const std::vector<double>& scores, const std::vector<int>& labels) {
  require_finite(scores);
  const Counts c = count(labels);
  std::vector<RocPoint> out{{0, 0, std::numeric_limits<double>::infinity()}};
  if (c.pos == 0 || c.neg == 0) return out;
  const auto order = by_score_desc(scores);
  size_t tp = 0, fp = 0;
  for (size_t i = 0; i < order.size();) {
    const double s = scores[order[i]];
    while (i < order.size() && scores[order[i]] == s) (labels[order[i++]] ? tp : fp) += 1;
    out.push_back({static_cast<double>(fp) / c.neg, static_cast<double>(tp) / c.pos, s});
  }
  return out;
}

double equal_error_rate(const std::vector<double>& scores, const std::vector<int>& labels) {
  const auto roc = roc_curve(scores, labels);
  if (roc.size() < 2) return kNaN;
  // fnr - fpr falls from 1 to -1 along the curve; find the crossing and interpolate linearly.
  for (size_t i = 1; i < roc.size(); ++i) {
    const double d0 = (1 - roc[i - 1].tpr) - roc[i - 1].fpr, d1 = (1 - roc[i].tpr) - roc[i].fpr;
    if (d1 <= 0) {
      const double t = d0 == d1 ? 0 : d0 / (d0 - d1);
      return roc[i - 1].fpr + t * (roc[i].fpr - roc[i - 1].fpr);
    }
  }
  return kNaN;
}

double average_precision(const std::vector<double>& scores, const std::vector<int>& labels) {
  require_finite(scores);
  const Counts c = count(labels);
  if (c.pos == 0) return kNaN;
  const auto order = by_score_desc(scores);
  size_t tp = 0, fp = 0;
  double ap = 0, last_recall = 0;
  for (size_t i = 0; i < order.size();) {
    const double s = scores[order[i]];
    while (i < order.size() && scores[order[i]] == s) (labels[order[i++]] ? tp : fp) += 1;
    const double recall = static_cast<double>(tp) / c.pos, precision = static_cast<double>(tp) / (tp + fp);
    ap += (recall - last_recall) * precision;
    last_recall = recall;
  }
  return ap;
}

double accuracy(const std::vector<double>& scores, const std::vector<int>& labels, double threshold) {
  if (scores.empty()) return kNaN;
  size_t right = 0;
  for (size_t i = 0; i < scores.size(); ++i) right += (scores[i] >= threshold) == (labels[i] != 0);
  return static_cast<double>(right) / scores.size();
}

double mean_probability(const std::vector<double>& p) {
  if (p.empty()) return kNaN;
  return std::accumulate(p.begin(), p.end(), 0.0) / p.size();
}

double confident_strategy(const std::vector<double>& p, double t) {
  if (p.empty()) return kNaN;
  const size_t n = p.size();
  std::vector<double> high, low;
  for (double x : p) {
    if (x > t) high.push_back(x);
    if (x < 0.2) low.push_back(x);
  }
  if (high.size() > n / 2.5 && high.size() > 11) return mean_probability(high);
  if (low.size() > 0.9 * n) return mean_probability(low);
  return mean_probability(p);
}

nlohmann::json summarize(const std::vector<double>& scores, const std::vector<int>& labels, int resamples, uint64_t seed,
                         const std::vector<std::string>& units) {
  require_finite(scores);
  if (!units.empty() && units.size() != scores.size()) throw InvalidInput("one unit per score expected");
  using Metric = double (*)(const std::vector<double>&, const std::vector<int>&);
  const std::vector<std::pair<const char*, Metric>> metrics = {
      {"auc", roc_auc},
      {"eer", equal_error_rate},
      {"ap", average_precision},
      {"accuracy", [](const std::vector<double>& s, const std::vector<int>& l) { return accuracy(s, l); }}};
  std::vector<std::vector<double>> draws(metrics.size());
  const UnitResampler resampler(units, labels);
  std::mt19937_64 rng(seed);
  std::vector<size_t> pick;
  std::vector<double> s;
  std::vector<int> l;
  for (int r = 0; r < resamples && !scores.empty(); ++r) {
    resampler.draw(rng, pick);
    s.clear(), l.clear();
    for (size_t k : pick) s.push_back(scores[k]), l.push_back(labels[k]);
    for (size_t m = 0; m < metrics.size(); ++m) {
      const double v = metrics[m].second(s, l);
      if (!std::isnan(v)) draws[m].push_back(v);
    }
  }
  auto as_json = [](double v) { return std::isnan(v) ? nlohmann::json() : nlohmann::json(v); };
  const Counts c = count(labels);
  nlohmann::json out = {{"n", scores.size()}, {"fakes", c.pos}, {"reals", c.neg}};
  if (!units.empty()) out["units"] = resampler.counts().to_json();
  for (size_t m = 0; m < metrics.size(); ++m) {
    auto& d = draws[m];
    std::sort(d.begin(), d.end());
    auto pct = [&](double q) { return d.empty() ? kNaN : d[std::min(d.size() - 1, static_cast<size_t>(q * d.size()))]; };
    out[metrics[m].first] = {{"value", as_json(metrics[m].second(scores, labels))},
                             {"low", as_json(pct(0.025))},
                             {"high", as_json(pct(0.975))}};
  }
  nlohmann::json roc = nlohmann::json::array();
  const auto curve = roc_curve(scores, labels);
  // At most kRocPoints points, evenly spaced along the curve, first and last kept: enough to draw it.
  constexpr size_t kRocPoints = 200;
  const size_t step = (curve.size() + kRocPoints - 1) / kRocPoints;
  for (size_t i = 0; i < curve.size(); ++i)
    if (i % step == 0 || i + 1 == curve.size()) roc.push_back({curve[i].fpr, curve[i].tpr});
  out["roc"] = roc;
  size_t tp = 0, fp = 0, tn = 0, fn = 0;
  for (size_t i = 0; i < scores.size(); ++i)
    (scores[i] >= 0.5 ? (labels[i] ? tp : fp) : (labels[i] ? fn : tn)) += 1;
  out["confusion"] = {{"threshold", 0.5}, {"tp", tp}, {"fp", fp}, {"tn", tn}, {"fn", fn}};
  return out;
}

} // namespace curator::retrain
