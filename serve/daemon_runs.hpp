#pragma once
//! daemon_runs: one row per daemon start, with its stop and why. The only code that reads or writes that
//! table. Static functions on the caller's connection; as thread-safe as that connection.
#include "core/database.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace curator::serve {

struct DaemonRun {
  int64_t id = 0, pid = 0, started_ms = 0;
  std::optional<int64_t> stopped_ms;
  std::optional<std::string> stop_reason;
  nlohmann::json to_json() const; ///< pid, started_ms, stopped_ms, stop_reason
};

struct DaemonRuns {
  /// Records a start; returns the run's id.
  static int64_t start(SQLite::Database& conn, int64_t pid, const std::string& version, const std::string& host,
                       int port, int64_t now_ms);
  static void stop(SQLite::Database& conn, int64_t id, const std::string& reason, int64_t now_ms);
  /// The newest run (nothing in a database that predates the table).
  static std::optional<DaemonRun> last(SQLite::Database& conn);
};

} // namespace curator::serve
