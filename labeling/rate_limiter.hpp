#pragma once
//! A sliding-window counter per key (client address, user name): at most `limit` events in any
//! `window_ms`. Used for login throttling and anonymous submissions. In memory: a restart forgives.
//! Thread-safe.
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>

namespace curator::core {
class Clock;
}

namespace curator::labeling {

class RateLimiter {
public:
  RateLimiter(const core::Clock& clock, int limit, int64_t window_ms);
  /// True (and counts the event) when `key` is under its limit; false when it must wait.
  bool allow(const std::string& key);
  /// Whether `key` is at its limit now (counts nothing).
  bool blocked(const std::string& key);
  void record(const std::string& key);
  void reset(const std::string& key);
  /// Milliseconds until `key` may act again (0 when not blocked).
  int64_t retry_after_ms(const std::string& key);

private:
  void expire(std::deque<int64_t>& events, int64_t now) const;
  const core::Clock& clock_;
  int limit_;
  int64_t window_ms_;
  std::mutex mutex_;
  std::map<std::string, std::deque<int64_t>> events_;
};

} // namespace curator::labeling
