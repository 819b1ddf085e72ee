#include "retrain/batch_loader.hpp"

#include "core/error.hpp"
#include "synth/self_blend.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <random>
#include <set>

namespace curator::retrain {

BatchLoader::BatchLoader(std::filesystem::path root, std::vector<Sample> samples, LoaderOptions options)
    : root_(std::move(root)), samples_(std::move(samples)), options_(options) {
  if (options_.batch < 1 || options_.image_size < 8) throw InvalidInput("batch size and image size must be positive");
  if (!options_.positions.empty() && options_.positions.size() != samples_.size())
    throw InvalidInput("one epoch position per sample expected");
  for (int i = 0; i < std::max(1, options_.workers); ++i) threads_.emplace_back([this] { work(); });
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  room_.notify_all();
  for (auto& t : threads_) t.join();
}

size_t BatchLoader::batches() const { return (samples_.size() + options_.batch - 1) / options_.batch; }

namespace {

std::seed_seq::result_type low(uint64_t v) { return static_cast<uint32_t>(v); }
std::seed_seq::result_type high(uint64_t v) { return static_cast<uint32_t>(v >> 32); }

faces::Landmarks68 landmarks_in(const std::vector<float>& shares, cv::Size size) {
  faces::Landmarks68 lm;
  for (size_t i = 0; i < lm.size(); ++i)
    lm[i] = {shares[2 * i] * static_cast<float>(size.width), shares[2 * i + 1] * static_cast<float>(size.height)};
  return lm;
}

// The half of a self-blended pair this sample is: the blend draw and the augmentation come from the pair's
// first position, so both halves share them.
cv::Mat pair_half(const cv::Mat& rgb, const Sample& s, uint64_t seed, size_t pair_position) {
  if (s.landmarks.size() != 136) throw InvalidInput("a self-blended sample needs the crop's landmarks: " + s.crop);
  std::seed_seq seq{low(seed), high(seed), low(pair_position), high(pair_position), 0x5b1u};
  std::mt19937_64 rng(seq);
  const auto out = synth::self_blend(rgb, landmarks_in(s.landmarks, rgb.size()), synth::draw_self_blend(rng));
  return s.pair == PairPart::blend ? out.image : out.target;
}

} // namespace

Batch BatchLoader::make(size_t index) const {
  Batch b;
  b.size = options_.image_size;
  const size_t first = index * options_.batch, last = std::min(samples_.size(), first + options_.batch);
  const size_t per_image = 3ull * b.size * b.size;
  b.images.resize((last - first) * per_image);
  for (size_t i = first; i < last; ++i) {
    const auto& s = samples_[i];
    cv::Mat bgr = cv::imread((root_ / s.crop).string(), cv::IMREAD_COLOR), rgb;
    if (bgr.empty()) throw NotFound("cannot read face crop " + (root_ / s.crop).string());
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    // Both halves of a pair use the pair's first position: the same blend and the same augmentation.
    const size_t here = s.pair == PairPart::blend && i > 0 ? i - 1 : i;
    const size_t position = options_.positions.empty() ? here : options_.positions.at(here);
    if (s.pair != PairPart::none) rgb = pair_half(rgb, s, options_.seed, position);
    if (options_.train) {
      // One generator per sample, from (seed, position): independent of which thread runs it.
      std::seed_seq seq{low(options_.seed), high(options_.seed), low(position), high(position)};
      std::mt19937 rng(seq);
      cv::Mat sized;
      cv::resize(rgb, sized, cv::Size(b.size, b.size), 0, 0, cv::INTER_AREA);
      rgb = augment(sized, options_.augment, rng);
    }
    to_chw(rgb, b.size, b.images.data() + (i - first) * per_image, options_.norm, options_.detail);
    b.labels.push_back(static_cast<float>(s.label));
    b.positions.push_back(i);
  }
  return b;
}

void BatchLoader::work() {
  for (;;) {
    size_t index;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      room_.wait(lock, [&] {
        return stopping_ || (next_to_make_ < batches() && next_to_make_ < next_to_give_ + options_.prefetch);
      });
      if (stopping_ || next_to_make_ >= batches()) return;
      index = next_to_make_++;
    }
    Batch b;
    std::string error;
    try {
      b = make(index);
    } catch (const std::exception& e) {
      error = e.what();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (error.empty()) done_[index] = std::move(b);
      else errors_[index] = error;
    }
    ready_.notify_all();
  }
}

bool BatchLoader::next(Batch& out) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (next_to_give_ >= batches()) return false;
  ready_.wait(lock, [&] { return done_.count(next_to_give_) || errors_.count(next_to_give_); });
  if (auto e = errors_.find(next_to_give_); e != errors_.end()) throw Error(ErrorCode::internal, e->second);
  out = std::move(done_[next_to_give_]);
  done_.erase(next_to_give_++);
  lock.unlock();
  room_.notify_all();
  return true;
}

namespace {

struct SourcePool {
  std::vector<size_t> real, fake, blendable; ///< sample indices; blendable: real crops with landmarks
  double weight = 1;
};

} // namespace

std::vector<Sample> balanced_epoch(const std::vector<Sample>& samples, size_t count, uint64_t seed, int epoch,
                                   const EpochOptions& options) {
  std::map<std::string, SourcePool> pools;
  std::map<std::string, std::set<int64_t>> videos;
  for (size_t i = 0; i < samples.size(); ++i) {
    auto& pool = pools[samples[i].source];
    (samples[i].label == 1 ? pool.fake : pool.real).push_back(i);
    if (samples[i].label == 0 && samples[i].landmarks.size() == 136) pool.blendable.push_back(i);
    videos[samples[i].source].insert(samples[i].video);
  }
  std::vector<const SourcePool*> sources;
  std::vector<double> weights;
  for (auto& [name, pool] : pools) {
    sources.push_back(&pool);
    weights.push_back(options.sqrt_weights ? std::sqrt(static_cast<double>(videos[name].size())) : 1.0);
  }
  std::vector<Sample> out;
  if (sources.empty()) return out;
  std::seed_seq seq{low(seed), high(seed), static_cast<uint32_t>(epoch), 7u};
  std::mt19937_64 rng(seq);
  std::discrete_distribution<size_t> pick_source(weights.begin(), weights.end());
  std::uniform_real_distribution<double> unit(0, 1);
  auto pick = [&](const std::vector<size_t>& from) {
    return samples[from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(rng)]];
  };
  // A pair is one real and one fake: drawn with probability q, the rest split evenly between single reals
  // and single fakes, the pairs' share of the positives is 2q / (1 + q) = sbi.
  const double q = options.sbi / (2 - options.sbi);
  while (out.size() < count) {
    const auto& pool = *sources[pick_source(rng)];
    const bool can_pair = options.sbi > 0 && !pool.blendable.empty();
    // The last slot takes a single sample, so an epoch has exactly `count` (a batch of one cannot train).
    const bool pair = can_pair && out.size() + 2 <= count && (pool.fake.empty() || unit(rng) < q);
    if (pair) {
      Sample real = pick(pool.blendable), blend = real;
      real.pair = PairPart::real, blend.pair = PairPart::blend, blend.label = 1;
      out.push_back(std::move(real));
      out.push_back(std::move(blend));
      continue;
    }
    const bool fake = pool.real.empty() || (!pool.fake.empty() && unit(rng) < 0.5);
    out.push_back(pick(fake ? pool.fake : pool.real));
  }
  return out;
}

std::vector<std::string> one_class_sources(const std::vector<Sample>& samples) {
  std::map<std::string, std::set<int>> labels;
  for (const auto& s : samples) labels[s.source].insert(s.label);
  std::vector<std::string> out;
  for (const auto& [source, l] : labels)
    if (l.size() < 2) out.push_back(source);
  return out;
}

} // namespace curator::retrain
