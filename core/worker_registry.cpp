#include "core/worker_registry.hpp"

#include <SQLiteCpp/Statement.h>

#include <algorithm>

namespace curator::core {

nlohmann::json WorkerRecord::to_json() const {
  return {{"id", id},
          {"host", host},
          {"pid", pid},
          {"version", version},
          {"kinds", kinds},
          {"started_ms", started_ms},
          {"heartbeat_ms", heartbeat_ms},
          {"current_jobs", current_jobs},
          {"alive", alive},
          {"stopped_ms", stopped_ms ? nlohmann::json(*stopped_ms) : nlohmann::json()},
          {"stop_reason", stop_reason ? nlohmann::json(*stop_reason) : nlohmann::json()}};
}

int64_t WorkerRegistry::enroll(const std::string& host, int64_t pid, const std::vector<std::string>& kinds,
                               const std::string& version, int64_t now_ms) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "INSERT INTO workers(host, pid, kinds, version, started_ms, heartbeat_ms, current_jobs) "
                             "VALUES (?, ?, ?, ?, ?, ?, '[]')");
  q.bind(1, host), q.bind(2, pid), q.bind(3, nlohmann::json(kinds).dump()), q.bind(4, version), q.bind(5, now_ms);
  q.bind(6, now_ms);
  q.exec();
  return conn->getLastInsertRowid();
}

void WorkerRegistry::heartbeat(int64_t id, const std::vector<int64_t>& current_jobs, int64_t now_ms) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "UPDATE workers SET heartbeat_ms = ?, current_jobs = ? WHERE id = ? AND stopped_ms IS NULL");
  q.bind(1, now_ms), q.bind(2, nlohmann::json(current_jobs).dump()), q.bind(3, id);
  q.exec();
}

void WorkerRegistry::stop(int64_t id, const std::string& reason, int64_t now_ms) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "UPDATE workers SET stopped_ms = ?, stop_reason = ?, current_jobs = '[]' WHERE id = ?");
  q.bind(1, now_ms), q.bind(2, reason), q.bind(3, id);
  q.exec();
}

std::vector<WorkerRecord> WorkerRegistry::list(int64_t now_ms, int64_t stale_ms, int64_t keep_ms) {
  auto conn = db_.connect();
  return list(*conn, now_ms, stale_ms, keep_ms);
}

std::vector<WorkerRecord> WorkerRegistry::list(SQLite::Database& conn, int64_t now_ms, int64_t stale_ms, int64_t keep_ms) {
  std::vector<WorkerRecord> out;
  if (!conn.tableExists("workers")) return out; // a database that predates the table
  SQLite::Statement q(conn, "SELECT id, host, pid, kinds, version, started_ms, heartbeat_ms, current_jobs, stopped_ms, "
                             "stop_reason FROM workers WHERE heartbeat_ms >= ? ORDER BY id DESC");
  q.bind(1, now_ms - keep_ms);
  while (q.executeStep()) {
    WorkerRecord r;
    r.id = q.getColumn("id").getInt64();
    r.host = q.getColumn("host").getString();
    r.pid = q.getColumn("pid").getInt64();
    r.kinds = nlohmann::json::parse(q.getColumn("kinds").getString()).get<std::vector<std::string>>();
    r.version = q.getColumn("version").getString();
    r.started_ms = q.getColumn("started_ms").getInt64();
    r.heartbeat_ms = q.getColumn("heartbeat_ms").getInt64();
    r.current_jobs = nlohmann::json::parse(q.getColumn("current_jobs").getString()).get<std::vector<int64_t>>();
    if (const auto c = q.getColumn("stopped_ms"); !c.isNull()) r.stopped_ms = c.getInt64();
    if (const auto c = q.getColumn("stop_reason"); !c.isNull()) r.stop_reason = c.getString();
    r.alive = !r.stopped_ms && now_ms - r.heartbeat_ms <= stale_ms;
    out.push_back(std::move(r));
  }
  std::stable_partition(out.begin(), out.end(), [](const WorkerRecord& r) { return r.alive; });
  return out;
}

} // namespace curator::core
