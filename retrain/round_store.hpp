#pragma once
//! retrain_rounds: one row per retraining round, its trigger and outcome. The only code that reads or
//! writes that table. Thread-safe (each call uses its own connection).
#include "core/database.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace curator::retrain {

struct RoundRow {
  int64_t round = 0;
  std::string trigger, state, snapshot_id, search_id, error;
  std::optional<int64_t> candidate;
  std::optional<bool> promoted; ///< set once the gate decided
  int64_t started_ms = 0;
  std::optional<int64_t> finished_ms;
  nlohmann::json to_json() const;
};

class RoundStore {
public:
  explicit RoundStore(core::Database& db) : db_(db) {}

  /// A new running round; returns its number.
  int64_t start(const std::string& trigger, int64_t now_ms);
  /// Records progress or the outcome (`finished_ms` is set unless the state is still "running").
  void update(const RoundRow& row, int64_t now_ms);
  /// The running round's process is alive (run_round calls it every few seconds).
  void heartbeat(int64_t round, int64_t now_ms);
  /// Running rounds without a heartbeat for `lease_ms` (their process was killed: a `curator model round`
  /// killed with SIGKILL) become failed. Returns how many.
  int fail_stale(int64_t now_ms, int64_t lease_ms = kRoundLeaseMs);
  static constexpr int64_t kRoundLeaseMs = 120'000;
  /// Newest first.
  std::vector<RoundRow> list(int limit);

  /// When the last round started, and whether one runs now (stale rounds are failed first).
  struct Timing {
    std::optional<int64_t> last_started_ms;
    bool running = false;
  };
  Timing timing(int64_t now_ms);

  /// The newest round, for the status report (which reads a database that may predate the table).
  static std::optional<RoundRow> last(SQLite::Database& conn);

private:
  core::Database& db_;
};

} // namespace curator::retrain
