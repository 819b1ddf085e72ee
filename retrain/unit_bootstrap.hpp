#pragma once
//! The cluster bootstrap: test items (videos, or frames) belong to split units (a person, their
//! footage and every fake made from it, see dataset/split_planner.hpp), and items of one unit are not
//! independent evidence. A draw resamples whole units with replacement, stratified by the unit's label
//! mix (only reals, only fakes, both), each stratum to its own size, so every draw keeps the data's
//! shape; the effective sample size is the number of units, not of videos.
//! Also the small statistics the gate needs on top of the draws: percentiles, a normal-approximation
//! one-sided p-value from the draws' spread, the normal quantile, and the alpha spent at a given look.
//! UnitResampler is immutable after construction; draw() is const and thread-safe with its own rng.
#include <nlohmann/json.hpp>

#include <array>
#include <cstddef>
#include <random>
#include <string>
#include <vector>

namespace curator::retrain {

/// Units holding at least one real item, at least one fake item, and both (a unit can count in both).
struct UnitCounts {
  int real = 0, fake = 0, mixed = 0, total = 0;
  nlohmann::json to_json() const;
  std::string text() const; ///< "12 units with reals, 9 with fakes (4 with both)"
};

class UnitResampler {
public:
  /// `unit[i]` and `label[i]` (1 fake, 0 real) of each item; `unit` empty: every item is its own unit.
  /// Throws InvalidInput on mismatched lengths.
  UnitResampler(const std::vector<std::string>& unit, const std::vector<int>& label);
  /// One draw: the indices of the drawn units' items, with repetition (`out` is replaced).
  void draw(std::mt19937_64& rng, std::vector<size_t>& out) const;
  const UnitCounts& counts() const { return counts_; }
  /// True when a draw can hold both classes (some unit has reals and some unit has fakes).
  bool both_classes() const { return counts_.real > 0 && counts_.fake > 0; }

private:
  std::vector<std::vector<size_t>> units_;   ///< item indices per unit
  std::array<std::vector<size_t>, 3> strata_; ///< unit indices: reals only, fakes only, both
  UnitCounts counts_;
};

/// numpy's default percentile (linear between order statistics); NaN when empty. Sorts `v`.
double percentile(std::vector<double>& v, double q);
/// Standard normal CDF and its inverse (p in (0, 1)).
double normal_cdf(double z);
double normal_quantile(double p);
/// One-sided p-value of "the true value <= null" from the estimate and the bootstrap draws' standard
/// deviation (normal approximation, so that small family-wise levels stay resolvable with ~1000 draws).
/// With no spread: 0 when value > null, else 1.
double one_sided_p(double value, const std::vector<double>& draws, double null = 0);
/// Standard deviation of the draws (0 for fewer than two).
double spread(const std::vector<double>& draws);
/// The error rate spent at look k (1-based) of one test set so that all looks together spend at most
/// `alpha`: alpha * 6 / (pi^2 k^2) (the terms of the Basel series sum to 1).
double alpha_at_look(double alpha, int look);

} // namespace curator::retrain
