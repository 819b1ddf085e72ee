#pragma once
//! Batches of face crops for training and evaluation, prepared by worker threads while the model works.
//! Each crop is read from disk, augmented (training only) and normalised into a float batch, channels
//! first. The order of samples is the caller's and batches come out in that order whatever the thread
//! timing; each sample's augmentation is seeded from (seed, position), so an epoch is reproducible.
//! Self-blended pairs (Sample::pair): two consecutive samples of one real crop, the real half and its
//! self-blend (synth/self_blend.hpp), drawn from the same seed so both get the same blend draw and the
//! same augmentation.
//! A BatchLoader is used by one consumer thread; its workers are internal.
#include "retrain/augment.hpp"

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace curator::retrain {

/// The part a sample plays in a self-blended pair.
enum class PairPart { none, real, blend };

struct Sample {
  std::string crop; ///< relative to the data folder
  int label = 0;    ///< 1 fake, 0 real
  std::string source;
  int64_t video = 0;
  int frame = 0;
  std::vector<float> landmarks; ///< 68 points as shares of the crop's side (ManifestItem); may be empty
  PairPart pair = PairPart::none; ///< real: the first of a pair; blend: the second (label 1), same crop
};

struct Batch {
  std::vector<float> images; ///< n x 3 x size x size
  std::vector<float> labels; ///< n
  std::vector<size_t> positions; ///< index of each sample in the loader's list
  int size = 0;
  size_t count() const { return labels.size(); }
};

struct LoaderOptions {
  int batch = 32;
  int image_size = 224;
  bool train = false;       ///< augment
  AugmentOptions augment;
  InputNorm norm = InputNorm::imagenet;
  int detail = 0;           ///< see to_chw
  uint64_t seed = 1;
  int workers = 2;
  int prefetch = 4;         ///< batches prepared ahead
  /// Each sample's position in the whole epoch, which seeds its augmentation (empty: its index here). A
  /// rank of a distributed run loads its share of each batch with the positions the samples have in the
  /// undivided epoch, so it augments them as one process would.
  std::vector<size_t> positions;
};

class BatchLoader {
public:
  /// Starts the workers. A crop that cannot be read throws from next() naming the file.
  BatchLoader(std::filesystem::path root, std::vector<Sample> samples, LoaderOptions options);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  /// The next batch in order; false after the last.
  bool next(Batch& out);
  size_t batches() const;

private:
  void work();
  Batch make(size_t index) const;

  std::filesystem::path root_;
  std::vector<Sample> samples_;
  LoaderOptions options_;
  std::mutex mutex_;
  std::condition_variable ready_, room_;
  std::map<size_t, Batch> done_;
  std::map<size_t, std::string> errors_;
  size_t next_to_make_ = 0, next_to_give_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

struct EpochOptions {
  /// Share of the positives that are self-blended pairs (a real crop with landmarks and its blend). A
  /// source with real crops but no fakes gets all its positives this way.
  double sbi = 0;
  bool sqrt_weights = false; ///< draw sources in proportion to the square root of their videos (else equally)
};

/// An epoch's training order, `count` samples drawn from (seed, epoch) only: each draw picks a
/// source (equally, or by the square root of its videos), then a real crop, a fake crop or a self-blended
/// pair (counts as one real and one fake) so that labels are balanced within every source that has both
/// (or can self-blend); a one-class source keeps its one class. Pairs are two consecutive samples.
std::vector<Sample> balanced_epoch(const std::vector<Sample>& samples, size_t count, uint64_t seed, int epoch,
                                   const EpochOptions& options = {});

/// Sources whose samples all have one label, sorted.
std::vector<std::string> one_class_sources(const std::vector<Sample>& samples);

} // namespace curator::retrain
