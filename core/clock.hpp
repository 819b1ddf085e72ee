#pragma once
//! Time as a seam: everything that schedules, leases or expires takes a Clock so tests can drive time.
//! Values are wall-clock milliseconds since the Unix epoch because they are persisted and compared across
//! process restarts. Implementations are thread-safe.
#include <atomic>
#include <cstdint>

namespace curator::core {

class Clock {
public:
  virtual ~Clock() = default;
  virtual int64_t now_ms() const = 0;
};

class SystemClock final : public Clock {
public:
  int64_t now_ms() const override;
};

/// A clock that moves only when told to; for tests and simulations.
class ManualClock final : public Clock {
public:
  explicit ManualClock(int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
  int64_t now_ms() const override { return now_.load(); }
  void advance_ms(int64_t delta) { now_ += delta; }
  void set_ms(int64_t t) { now_ = t; }

private:
  std::atomic<int64_t> now_;
};

} // namespace curator::core
