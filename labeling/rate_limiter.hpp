#pragma once
//! A sliding-window counter per key (client address, user name): at most `limit` events in any
//! `window_ms`. Used for login throttling and anonymous submissions. In memory: a restart forgives.
//! Memory is bounded: keys with no event left in the window are forgotten (swept as the map grows),
//! and beyond `max_keys` the keys idle longest are dropped first, so a flood of new addresses or names
//! costs at most `max_keys` x `limit` timestamps. Thread-safe.
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace curator::core {
class Clock;
}

namespace curator::labeling {

class RateLimiter {
public:
  static constexpr size_t kDefaultMaxKeys = 100000;

  RateLimiter(const core::Clock& clock, int limit, int64_t window_ms, size_t max_keys = kDefaultMaxKeys);
  /// True (and counts the event) when `key` is under its limit; false when it must wait.
  bool allow(const std::string& key);
  /// Whether `key` is at its limit now (counts nothing).
  bool blocked(const std::string& key);
  void record(const std::string& key);
  void reset(const std::string& key);
  /// Milliseconds until `key` may act again (0 when not blocked).
  int64_t retry_after_ms(const std::string& key);
  /// Keys held in memory now (some may have expired but not been swept yet).
  size_t keys();

private:
  using Events = std::deque<int64_t>;
  void expire(Events& events, int64_t now) const;
  /// The events of `key`, made room for first when it is new.
  Events& events_of(const std::string& key, int64_t now);
  void make_room(int64_t now);

  const core::Clock& clock_;
  int limit_;
  int64_t window_ms_;
  size_t max_keys_;
  size_t sweep_at_;
  std::mutex mutex_;
  std::unordered_map<std::string, Events> events_;
};

} // namespace curator::labeling
