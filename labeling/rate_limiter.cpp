#include "labeling/rate_limiter.hpp"

#include "core/clock.hpp"

namespace curator::labeling {

RateLimiter::RateLimiter(const core::Clock& clock, int limit, int64_t window_ms)
    : clock_(clock), limit_(limit), window_ms_(window_ms) {}

void RateLimiter::expire(std::deque<int64_t>& events, int64_t now) const {
  while (!events.empty() && events.front() <= now - window_ms_) events.pop_front();
}

bool RateLimiter::allow(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  const int64_t now = clock_.now_ms();
  auto& e = events_[key];
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
  auto& e = events_[key];
  expire(e, now);
  e.push_back(now);
  // Keep memory bounded for keys that hammer: only the newest `limit` events matter.
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

} // namespace curator::labeling
