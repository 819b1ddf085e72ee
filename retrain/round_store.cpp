#include "retrain/round_store.hpp"

#include <SQLiteCpp/Statement.h>

namespace curator::retrain {

namespace {

constexpr const char* kColumns = "id, trigger, state, COALESCE(snapshot_id, '') AS snapshot_id, COALESCE(search_id, '') "
                                 "AS search_id, candidate, promoted, COALESCE(error, '') AS error, started_ms, finished_ms";

RoundRow read_row(SQLite::Statement& q) {
  RoundRow r;
  r.round = q.getColumn("id").getInt64();
  r.trigger = q.getColumn("trigger").getString();
  r.state = q.getColumn("state").getString();
  r.snapshot_id = q.getColumn("snapshot_id").getString();
  r.search_id = q.getColumn("search_id").getString();
  if (const auto c = q.getColumn("candidate"); !c.isNull()) r.candidate = c.getInt64();
  if (const auto c = q.getColumn("promoted"); !c.isNull()) r.promoted = c.getInt() != 0;
  r.error = q.getColumn("error").getString();
  r.started_ms = q.getColumn("started_ms").getInt64();
  if (const auto c = q.getColumn("finished_ms"); !c.isNull()) r.finished_ms = c.getInt64();
  return r;
}

template <typename T> nlohmann::json or_null(const std::optional<T>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

} // namespace

nlohmann::json RoundRow::to_json() const {
  return {{"round", round},         {"trigger", trigger},          {"state", state},
          {"snapshot_id", snapshot_id}, {"candidate", or_null(candidate)}, {"promoted", or_null(promoted)},
          {"error", error},         {"started_ms", started_ms},    {"finished_ms", or_null(finished_ms)}};
}

int64_t RoundStore::start(const std::string& trigger, int64_t now_ms) {
  auto conn = db_.connect();
  core::WriteTransaction txn(*conn);
  SQLite::Statement q(*conn, "INSERT INTO retrain_rounds(trigger, state, started_ms) VALUES (?, 'running', ?)");
  q.bind(1, trigger), q.bind(2, now_ms);
  q.exec();
  const int64_t id = conn->getLastInsertRowid();
  txn.commit();
  return id;
}

void RoundStore::update(const RoundRow& r, int64_t now_ms) {
  auto conn = db_.connect();
  core::WriteTransaction txn(*conn);
  SQLite::Statement q(*conn, "UPDATE retrain_rounds SET state = ?, snapshot_id = ?, search_id = ?, candidate = ?, "
                             "promoted = ?, error = ?, finished_ms = ? WHERE id = ?");
  q.bind(1, r.state), q.bind(2, r.snapshot_id), q.bind(3, r.search_id);
  if (r.candidate) q.bind(4, *r.candidate);
  else q.bind(4);
  if (r.promoted) q.bind(5, *r.promoted ? 1 : 0);
  else q.bind(5);
  if (r.error.empty()) q.bind(6);
  else q.bind(6, r.error);
  if (r.state == "running") q.bind(7);
  else q.bind(7, now_ms);
  q.bind(8, r.round);
  q.exec();
  txn.commit();
}

std::vector<RoundRow> RoundStore::list(int limit) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, std::string("SELECT ") + kColumns + " FROM retrain_rounds ORDER BY id DESC LIMIT ?");
  q.bind(1, limit);
  std::vector<RoundRow> out;
  while (q.executeStep()) out.push_back(read_row(q));
  return out;
}

void RoundStore::heartbeat(int64_t round, int64_t now_ms) {
  auto conn = db_.connect();
  core::WriteTransaction txn(*conn);
  SQLite::Statement q(*conn, "UPDATE retrain_rounds SET heartbeat_ms = ? WHERE id = ? AND state = 'running'");
  q.bind(1, now_ms), q.bind(2, round);
  q.exec();
  txn.commit();
}

int RoundStore::fail_stale(int64_t now_ms, int64_t lease_ms) {
  auto conn = db_.connect();
  core::WriteTransaction txn(*conn);
  SQLite::Statement q(*conn, "UPDATE retrain_rounds SET state = 'failed', error = 'interrupted: its process stopped "
                             "(no heartbeat for ' || (? / 1000) || ' s)', finished_ms = ? WHERE state = 'running' AND "
                             "COALESCE(heartbeat_ms, started_ms) < ?");
  q.bind(1, lease_ms), q.bind(2, now_ms), q.bind(3, now_ms - lease_ms);
  const int n = q.exec();
  txn.commit();
  return n;
}

RoundStore::Timing RoundStore::timing(int64_t now_ms) {
  fail_stale(now_ms);
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "SELECT MAX(started_ms) AS last, SUM(state = 'running') AS running FROM retrain_rounds");
  Timing t;
  if (q.executeStep()) {
    if (const auto c = q.getColumn("last"); !c.isNull()) t.last_started_ms = c.getInt64();
    t.running = !q.getColumn("running").isNull() && q.getColumn("running").getInt() > 0;
  }
  return t;
}

std::optional<RoundRow> RoundStore::last(SQLite::Database& conn) {
  if (!conn.tableExists("retrain_rounds")) return std::nullopt;
  SQLite::Statement q(conn, std::string("SELECT ") + kColumns + " FROM retrain_rounds ORDER BY id DESC LIMIT 1");
  if (!q.executeStep()) return std::nullopt;
  return read_row(q);
}

} // namespace curator::retrain
