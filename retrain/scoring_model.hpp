#pragma once
//! A saved detector loaded once to score face crops (the score API, review scores, `curator score`): in
//! eval mode, without autograd, channels-last, and in the number format asked for. bfloat16 runs the
//! ResNet about 2x faster on CPUs that multiply bfloat16 natively (AMX or AVX512-BF16); its fake
//! probabilities stay within 0.02 of float32's (tests/test_retrain_scoring.cpp). Evaluation for the
//! promotion gate (training.hpp evaluate) always runs in float32.
//! Thread-safety: score() may run on several threads at once; the weights are never written after the
//! constructor.
#include "retrain/training.hpp"

#include <opencv2/core.hpp>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace curator::retrain {

enum class Precision { fp32, bf16 };

/// Whether this CPU multiplies bfloat16 natively (AMX-BF16 or AVX512-BF16).
bool native_bf16();
/// "fp32", "bf16", or "auto" (bf16 where native_bf16(), else fp32). Throws InvalidInput otherwise.
Precision parse_precision(const std::string& text);
const char* to_string(Precision precision);

class ScoringModel {
public:
  /// Loads `ref`'s weights. Throws NotFound / InvalidInput as load_weights does.
  ScoringModel(ModelRef ref, Precision precision);
  ~ScoringModel();
  ScoringModel(const ScoringModel&) = delete;
  ScoringModel& operator=(const ScoringModel&) = delete;

  /// Fake probabilities of 8-bit RGB face crops (any size: resized to the model's), in order. Throws
  /// InvalidInput when the model gives a non-finite score.
  std::vector<double> score(const std::vector<cv::Mat>& rgb_crops) const;

  const ModelRef& ref() const { return ref_; }
  Precision precision() const { return precision_; }

private:
  struct Net;
  ModelRef ref_;
  Precision precision_;
  std::unique_ptr<Net> net_;
};

/// The model version scored last, kept loaded: the daemon's scoring jobs share it instead of loading
/// the champion once a job. Thread-safe; a load holds the lock, so concurrent callers wait for one load.
class ScoringModelCache {
public:
  explicit ScoringModelCache(Precision precision) : precision_(precision) {}
  /// Model version `version`, loaded from `dir` (a model version folder) unless it is the one kept.
  /// Throws as ModelRef::from_dir and ScoringModel do (and keeps what it held).
  std::shared_ptr<const ScoringModel> get(int64_t version, const std::filesystem::path& dir);
  int loads() const; ///< models loaded so far

private:
  const Precision precision_;
  mutable std::mutex mutex_; ///< guards the three below
  int64_t version_ = 0;
  std::shared_ptr<const ScoringModel> model_;
  int loads_ = 0;
};

} // namespace curator::retrain
