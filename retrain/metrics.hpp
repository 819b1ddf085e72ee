#pragma once
//! Detector metrics from fake probabilities (never from hard labels): ROC AUC (ties count one half),
//! ROC points, equal error rate, average precision (sklearn's step definition), accuracy at 0.5, and
//! percentile bootstrap confidence intervals; plus the two ways of turning frame probabilities into a
//! video's: the mean, and the DFDC winner's "confident strategy". Labels: 1 = fake, 0 = real.
//! Pure functions; thread-safe. Metrics that need both classes are NaN when one is missing. A
//! non-finite score (a diverged model) is refused with curator::InvalidInput, never ranked.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace curator::retrain {

struct RocPoint {
  double fpr, tpr, threshold;
};

double roc_auc(const std::vector<double>& scores, const std::vector<int>& labels);

/// ROC AUC of bootstrap draws of one fixed set of items: the items are sorted once, and each draw gives
/// how many times it took each item; the AUC of that draw is then one pass over the items, the same value
/// as roc_auc on the drawn items (a pair of a drawn fake and a drawn real counts once per pair of copies,
/// ties one half). Immutable after construction; thread-safe.
class DrawnAuc {
public:
  /// Throws InvalidInput on a non-finite score or mismatched lengths.
  DrawnAuc(const std::vector<double>& scores, const std::vector<int>& labels);
  /// `copies[i]`: how many times the draw took item i (size = the items'). NaN without both classes.
  double auc(const std::vector<uint32_t>& copies) const;

private:
  std::vector<uint32_t> order_;    ///< items by ascending score
  std::vector<uint32_t> tie_end_;  ///< per position in order_: one past the last position of its tie group
  std::vector<int> labels_;
};
/// From (0, 0) to (1, 1), one point per distinct score (ties move both rates at once).
std::vector<RocPoint> roc_curve(const std::vector<double>& scores, const std::vector<int>& labels);
/// Where the false positive rate equals the false negative rate, interpolated on the ROC curve.
double equal_error_rate(const std::vector<double>& scores, const std::vector<int>& labels);
/// sum over thresholds of (recall_n - recall_{n-1}) * precision_n.
double average_precision(const std::vector<double>& scores, const std::vector<int>& labels);
double accuracy(const std::vector<double>& scores, const std::vector<int>& labels, double threshold = 0.5);

double mean_probability(const std::vector<double>& frame_probabilities);
/// selimsef's DFDC-winning rule: when over 11 frames and over 1/2.5 of them are above 0.8, their mean;
/// when over 90% are below 0.2, the mean of those; else the plain mean.
double confident_strategy(const std::vector<double>& frame_probabilities, double t = 0.8);

struct Interval {
  double value, low, high; ///< the metric on all data, and the 2.5th and 97.5th bootstrap percentiles
};

/// Every metric above with a bootstrap interval (`resamples` draws with replacement, fixed seed) as
/// {"n", "fakes", "reals", "auc": {value, low, high}, "eer", "ap", "accuracy", "roc": [[fpr, tpr], ...]
/// (at most 200 points along the curve), "confusion": {threshold 0.5, tp, fp, tn, fn} (fake = positive)}.
/// With `units` (one per score: its split unit), whole units are drawn, stratified by their label mix
/// (unit_bootstrap.hpp), so frames of one video, or videos of one person, never count as independent
/// evidence; "units" then gives their counts. Without, single scores are drawn, stratified by label.
nlohmann::json summarize(const std::vector<double>& scores, const std::vector<int>& labels, int resamples = 1000,
                         uint64_t seed = 1, const std::vector<std::string>& units = {});

/// Throws curator::InvalidInput naming `what` when a score is NaN or infinite.
void require_finite(const std::vector<double>& scores, const char* what = "score");

} // namespace curator::retrain
