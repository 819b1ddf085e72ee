#include "labeling/rate_limiter.hpp"

#include "core/clock.hpp"

#include <algorithm>
#include <vector>

namespace curator::labeling {

namespace {
constexpr size_t kFirstSweep = 1024;
}

RateLimiter::RateLimiter(const core::Clock& clock, int limit, int64_t window_ms, size_t max_keys)
    : clock_(clock), limit_(limit), window_ms_(window_ms), max_keys_(std::max<size_t>(max_keys, 1)),
      sweep_at_(std::min(kFirstSweep, max_keys_)) {}

void RateLimiter::expire(Events& events, int64_t now) const {
  while (!events.empty() && events.front() <= now - window_ms_) events.pop_front();
}

// Sweeps expired keys; if that is not enough, drops the keys whose newest event is oldest (a tenth of
// the cap at once, so a flood pays for a scan only every max_keys/10 new keys).
void RateLimiter::make_room(int64_t now) {
  for (auto it = events_.begin(); it != events_.end();) {
    expire(it->second, now);
    it = it->second.empty() ? events_.erase(it) : std::next(it);
  }
  if (events_.size() >= max_keys_) {
    std::vector<std::pair<int64_t, const std::string*>> by_age;
    by_age.reserve(events_.size());
    for (const auto& [key, events] : events_) by_age.emplace_back(events.back(), &key);
    const size_t drop = std::min(by_age.size(), events_.size() - max_keys_ + std::max<size_t>(max_keys_ / 10, 1));
    std::nth_element(by_age.begin(), by_age.begin() + static_cast<std::ptrdiff_t>(drop - 1), by_age.end());
    std::vector<std::string> victims;
    for (size_t i = 0; i < drop; ++i) victims.push_back(*by_age[i].second);
    for (const auto& key : victims) events_.erase(key);
  }
  sweep_at_ = std::min(max_keys_, std::max(kFirstSweep, events_.size() * 2));
}

RateLimiter::Events& RateLimiter::events_of(const std::string& key, int64_t now) {
  auto it = events_.find(key);
  if (it != events_.end()) return it->second;
  if (events_.size() >= sweep_at_) make_room(now);
  return events_[key];
}

bool RateLimiter::allow(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  const int64_t now = clock_.now_ms();
  auto& e = events_of(key, now);
  expire(e, now);
  if (static_cast<int>(e.size()) >= limit_) return false;
  e.push_back(now);
  return true;
}

bool RateLimiter::blocked(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = events_.find(key);
  if (it == events_.end()) return false;
  expire(it->second, clock_.now_ms());
  return static_cast<int>(it->second.size()) >= limit_;
}

void RateLimiter::record(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  const int64_t now = clock_.now_ms();
  auto& e = events_of(key, now);
  expire(e, now);
  e.push_back(now);
  // Only the newest `limit` events matter.
  while (static_cast<int>(e.size()) > limit_) e.pop_front();
}

void RateLimiter::reset(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  events_.erase(key);
}

int64_t RateLimiter::retry_after_ms(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = events_.find(key);
  if (it == events_.end()) return 0;
  const int64_t now = clock_.now_ms();
  expire(it->second, now);
  if (static_cast<int>(it->second.size()) < limit_) return 0;
  return it->second.front() + window_ms_ - now;
}

size_t RateLimiter::keys() {
  std::lock_guard<std::mutex> lock(mutex_);
  return events_.size();
}

} // namespace curator::labeling
