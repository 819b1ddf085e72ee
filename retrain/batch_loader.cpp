#include "retrain/batch_loader.hpp"

#include "core/error.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <random>
#include <set>

namespace curator::retrain {

BatchLoader::BatchLoader(std::filesystem::path root, std::vector<Sample> samples, LoaderOptions options)
    : root_(std::move(root)), samples_(std::move(samples)), options_(options) {
  if (options_.batch < 1 || options_.image_size < 8) throw InvalidInput("batch size and image size must be positive");
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
    if (options_.train) {
      // One generator per sample, from (seed, position): independent of which thread runs it.
      std::seed_seq seq{static_cast<uint32_t>(options_.seed), static_cast<uint32_t>(options_.seed >> 32),
                        static_cast<uint32_t>(i), static_cast<uint32_t>(i >> 32)};
      std::mt19937 rng(seq);
      cv::Mat sized;
      cv::resize(rgb, sized, cv::Size(b.size, b.size), 0, 0, cv::INTER_AREA);
      rgb = augment(sized, options_.augment, rng);
    }
    to_chw(rgb, b.size, b.images.data() + (i - first) * per_image, options_.norm);
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

std::vector<Sample> balanced_epoch(const std::vector<Sample>& samples, size_t count, uint64_t seed, int epoch) {
  std::map<std::string, std::map<int, std::vector<size_t>>> groups; // source -> label -> samples
  for (size_t i = 0; i < samples.size(); ++i) groups[samples[i].source][samples[i].label].push_back(i);
  std::vector<std::vector<const std::vector<size_t>*>> sources;
  for (const auto& [source, labels] : groups) {
    sources.emplace_back();
    for (const auto& [label, members] : labels) sources.back().push_back(&members);
  }
  std::vector<Sample> out;
  if (sources.empty()) return out;
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(epoch), 7u};
  std::mt19937_64 rng(seq);
  std::uniform_int_distribution<size_t> pick_source(0, sources.size() - 1);
  for (size_t k = 0; k < count; ++k) {
    const auto& labels = sources[pick_source(rng)];
    const auto& members = *labels[std::uniform_int_distribution<size_t>(0, labels.size() - 1)(rng)];
    out.push_back(samples[members[std::uniform_int_distribution<size_t>(0, members.size() - 1)(rng)]]);
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
