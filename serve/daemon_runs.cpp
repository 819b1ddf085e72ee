#include "serve/daemon_runs.hpp"

#include <SQLiteCpp/Statement.h>

namespace curator::serve {

nlohmann::json DaemonRun::to_json() const {
  return {{"pid", pid},
          {"started_ms", started_ms},
          {"stopped_ms", stopped_ms ? nlohmann::json(*stopped_ms) : nlohmann::json()},
          {"stop_reason", stop_reason ? nlohmann::json(*stop_reason) : nlohmann::json()}};
}

int64_t DaemonRuns::start(SQLite::Database& conn, int64_t pid, const std::string& version, const std::string& host,
                          int port, int64_t now_ms) {
  SQLite::Statement q(conn, "INSERT INTO daemon_runs(pid, version, host, port, started_ms) VALUES (?, ?, ?, ?, ?)");
  q.bind(1, pid), q.bind(2, version), q.bind(3, host), q.bind(4, port), q.bind(5, now_ms);
  q.exec();
  return conn.getLastInsertRowid();
}

void DaemonRuns::stop(SQLite::Database& conn, int64_t id, const std::string& reason, int64_t now_ms) {
  SQLite::Statement q(conn, "UPDATE daemon_runs SET stopped_ms = ?, stop_reason = ? WHERE id = ?");
  q.bind(1, now_ms), q.bind(2, reason), q.bind(3, id);
  q.exec();
}

std::optional<DaemonRun> DaemonRuns::last(SQLite::Database& conn) {
  if (!conn.tableExists("daemon_runs")) return std::nullopt;
  SQLite::Statement q(conn, "SELECT id, pid, started_ms, stopped_ms, stop_reason FROM daemon_runs ORDER BY id DESC LIMIT 1");
  if (!q.executeStep()) return std::nullopt;
  DaemonRun r;
  r.id = q.getColumn("id").getInt64();
  r.pid = q.getColumn("pid").getInt64();
  r.started_ms = q.getColumn("started_ms").getInt64();
  if (const auto c = q.getColumn("stopped_ms"); !c.isNull()) r.stopped_ms = c.getInt64();
  if (const auto c = q.getColumn("stop_reason"); !c.isNull()) r.stop_reason = c.getString();
  return r;
}

} // namespace curator::serve
