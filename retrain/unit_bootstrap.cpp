#include "retrain/unit_bootstrap.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace curator::retrain {

nlohmann::json UnitCounts::to_json() const {
  return {{"with_reals", real}, {"with_fakes", fake}, {"mixed", mixed}, {"total", total}};
}

std::string UnitCounts::text() const {
  return std::to_string(real) + " units with reals, " + std::to_string(fake) + " with fakes (" + std::to_string(mixed) +
         " with both)";
}

UnitResampler::UnitResampler(const std::vector<std::string>& unit, const std::vector<int>& label) {
  if (!unit.empty() && unit.size() != label.size()) throw InvalidInput("one unit per item expected");
  if (unit.empty()) {
    for (size_t i = 0; i < label.size(); ++i) units_.push_back({i});
  } else {
    std::map<std::string, std::vector<size_t>> by_unit;
    for (size_t i = 0; i < unit.size(); ++i) by_unit[unit[i]].push_back(i);
    for (auto& [key, items] : by_unit) units_.push_back(std::move(items));
  }
  for (size_t u = 0; u < units_.size(); ++u) {
    bool real = false, fake = false;
    for (size_t i : units_[u]) (label[i] ? fake : real) = true;
    strata_[real && fake ? 2 : fake ? 1 : 0].push_back(u);
    counts_.real += real, counts_.fake += fake, counts_.mixed += real && fake;
  }
  counts_.total = static_cast<int>(units_.size());
}

void UnitResampler::draw(std::mt19937_64& rng, std::vector<size_t>& out) const {
  out.clear();
  for (const auto& stratum : strata_) {
    if (stratum.empty()) continue;
    std::uniform_int_distribution<size_t> one(0, stratum.size() - 1);
    for (size_t k = 0; k < stratum.size(); ++k) {
      const auto& items = units_[stratum[one(rng)]];
      out.insert(out.end(), items.begin(), items.end());
    }
  }
}

double percentile(std::vector<double>& v, double q) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double normal_quantile(double p) {
  if (!(p > 0 && p < 1)) throw InvalidInput("a normal quantile needs 0 < p < 1");
  // Bisection on the CDF: 100 halvings of [-40, 40] are exact to double precision.
  double lo = -40, hi = 40;
  for (int i = 0; i < 100; ++i) {
    const double mid = 0.5 * (lo + hi);
    (normal_cdf(mid) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

double spread(const std::vector<double>& draws) {
  if (draws.size() < 2) return 0;
  double mean = 0;
  for (double d : draws) mean += d;
  mean /= static_cast<double>(draws.size());
  double ss = 0;
  for (double d : draws) ss += (d - mean) * (d - mean);
  return std::sqrt(ss / static_cast<double>(draws.size() - 1));
}

double one_sided_p(double value, const std::vector<double>& draws, double null) {
  const double se = spread(draws);
  if (std::isnan(value)) return 1;
  if (se <= 0) return value > null ? 0 : 1;
  return 1 - normal_cdf((value - null) / se);
}

double alpha_at_look(double alpha, int look) {
  constexpr double kPi = 3.14159265358979323846;
  const double k = std::max(1, look);
  return alpha * 6 / (kPi * kPi * k * k);
}

} // namespace curator::retrain
