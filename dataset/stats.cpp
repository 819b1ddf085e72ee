#include "dataset/stats.hpp"

#include "core/database.hpp"
#include "labeling/review_queue.hpp"

#include <SQLiteCpp/Transaction.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>

namespace curator::dataset {

namespace {

struct Row {
  int videos[3] = {0, 0, 0}, faces[3] = {0, 0, 0}, confirmed = 0;
  int total() const { return videos[0] + videos[1] + videos[2]; }
};
using Rows = std::map<std::pair<std::string, std::string>, Row>; // (source, split) -> counts

int total_videos(const Rows& rows) {
  int n = 0;
  for (const auto& [key, r] : rows) n += r.total();
  return n;
}

// The last plan's unit sizes (written by refresh_splits), with the largest unit's share of all videos.
nlohmann::json unit_shape(const std::string& text, int videos) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return nullptr;
  const int planned = j.value("videos", 0);
  const int largest = j.contains("largest") && !j["largest"].empty() ? j["largest"][0].value("videos", 0) : 0;
  j["largest_share"] = planned > 0 ? double(largest) / planned : 0.0;
  j["assigned_videos"] = videos;
  return j;
}

// Per source: the test split's share of its assigned videos against dataset.test_fraction, within
// +-30%, and why not when it is not: one unit too large for the test split, or too few units to split.
nlohmann::json test_targets(SQLite::Database& conn, const Rows& rows, double target) {
  std::map<std::string, std::pair<int, int>> per_source; // source -> (test videos, all videos)
  for (const auto& [key, r] : rows) {
    auto& p = per_source[key.first];
    p.second += r.total();
    if (key.second == "test") p.first += r.total();
  }
  // Units per source and the largest one's size, from the stored group keys.
  std::map<std::string, std::map<std::string, int>> units; // source -> group -> videos
  SQLite::Statement q(conn, "SELECT s.source, d.group_key FROM dataset_videos d JOIN submissions s ON s.id = "
                            "d.submission_id WHERE d.state = 'assigned'");
  while (q.executeStep()) units[q.getColumn(0).getString()][q.getColumn(1).getString()] += 1;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [source, p] : per_source) {
    const double share = p.second ? double(p.first) / p.second : 0.0;
    const bool ok = p.second > 0 && std::abs(share - target) <= 0.3 * target;
    int largest = 0;
    for (const auto& [group, n] : units[source]) largest = std::max(largest, n);
    nlohmann::json row = {{"source", source}, {"test_videos", p.first}, {"videos", p.second},
                          {"test_share", share},  {"target", target},     {"within_tolerance", ok},
                          {"units", units[source].size()}, {"largest_unit_videos", largest}};
    if (!ok) {
      const double want = target * p.second;
      if (largest > 1.3 * want)
        row["why"] = "one unit holds " + std::to_string(largest) + " of its " + std::to_string(p.second) +
                     " videos, more than the test split should hold";
      else if (units[source].size() < 3)
        row["why"] = "only " + std::to_string(units[source].size()) + " split unit(s): too few to split";
      else
        row["why"] = "units of this source share strata with others; more data evens it out";
    }
    out.push_back(row);
  }
  return out;
}

} // namespace

nlohmann::json quarantined_videos(SQLite::Database& conn) {
  nlohmann::json held = nlohmann::json::array();
  SQLite::Statement h(conn, "SELECT submission_id, COALESCE(reason, '') AS reason FROM dataset_videos WHERE state = "
                            "'quarantined' ORDER BY submission_id");
  while (h.executeStep())
    held.push_back({{"submission", h.getColumn("submission_id").getInt64()}, {"reason", h.getColumn("reason").getString()}});
  return held;
}

nlohmann::json split_counts(SQLite::Database& conn) {
  nlohmann::json ds = {{"train", 0}, {"val", 0}, {"test", 0}, {"quarantined", 0}, {"excluded", 0}};
  if (!conn.tableExists("dataset_videos")) return ds;
  SQLite::Statement q(conn, "SELECT CASE WHEN state = 'assigned' THEN split ELSE state END AS bucket, COUNT(*) AS n "
                            "FROM dataset_videos GROUP BY 1");
  while (q.executeStep()) ds[q.getColumn("bucket").getString()] = q.getColumn("n").getInt64();
  SQLite::Statement c(conn, "SELECT COUNT(*) AS n, (SELECT id FROM snapshots ORDER BY created_ms DESC, id LIMIT 1) "
                            "AS latest FROM snapshots");
  c.executeStep();
  ds["snapshots"] = c.getColumn("n").getInt64();
  ds["latest_snapshot"] = c.getColumn("latest").isNull() ? nlohmann::json() : nlohmann::json(c.getColumn("latest").getString());
  return ds;
}

nlohmann::json dataset_stats(core::Database& db, double test_fraction) {
  auto conn = db.connect();
  SQLite::Transaction read(*conn, SQLite::TransactionBehavior::DEFERRED);
  Rows rows;
  SQLite::Statement q(*conn, std::string("SELECT s.source, d.split, COALESCE(r.label, s.claimed_label), r.label IS NOT "
                                         "NULL, (SELECT COUNT(*) FROM faces f WHERE f.video_id = s.id) FROM "
                                         "dataset_videos d JOIN submissions s ON s.id = d.submission_id LEFT JOIN ") +
                                 labeling::confirmed_labels_sql() + " r ON r.submission_id = s.id WHERE d.state = 'assigned'");
  while (q.executeStep()) {
    auto& row = rows[{q.getColumn(0).getString(), q.getColumn(1).getString()}];
    const std::string label = q.getColumn(2).getString();
    const int k = label == "real" ? 0 : label == "fake" ? 1 : 2;
    row.videos[k] += 1;
    row.faces[k] += q.getColumn(4).getInt();
    row.confirmed += q.getColumn(3).getInt();
  }
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& [key, r] : rows)
    sources.push_back({{"source", key.first},         {"split", key.second},       {"real_videos", r.videos[0]},
                       {"fake_videos", r.videos[1]},  {"unknown_videos", r.videos[2]}, {"real_faces", r.faces[0]},
                       {"fake_faces", r.faces[1]},    {"unknown_faces", r.faces[2]}, {"confirmed_videos", r.confirmed}});
  nlohmann::json out = {{"sources", sources}};
  out["test_targets"] = test_targets(*conn, rows, test_fraction);
  auto count = [&](const char* sql) {
    SQLite::Statement c(*conn, sql);
    return c.executeStep() ? c.getColumn(0).getInt64() : 0;
  };
  out["unassigned"] = count("SELECT COUNT(*) FROM submissions s WHERE s.state = 'done' AND NOT EXISTS "
                            "(SELECT 1 FROM dataset_videos d WHERE d.submission_id = s.id)");
  out["excluded"] = count("SELECT COUNT(*) FROM dataset_videos WHERE state = 'excluded'");
  out["generation"] = count("SELECT generation FROM dataset_state WHERE id = 1");
  out["quarantined"] = quarantined_videos(*conn);
  nlohmann::json conflicts = nlohmann::json::array();
  SQLite::Statement c(*conn, "SELECT submission_id, split, group_key, conflict FROM dataset_videos WHERE conflict IS NOT "
                             "NULL ORDER BY group_key, submission_id");
  while (c.executeStep())
    conflicts.push_back({{"submission", c.getColumn(0).getInt64()}, {"split", c.getColumn(1).getString()},
                         {"group", c.getColumn(2).getString()}, {"reason", c.getColumn(3).getString()}});
  out["conflicts"] = conflicts;
  SQLite::Statement u(*conn, "SELECT units FROM dataset_state WHERE id = 1");
  out["units"] = u.executeStep() && !u.getColumn(0).isNull() ? unit_shape(u.getColumn(0).getString(), total_videos(rows))
                                                              : nlohmann::json(nullptr);
  SQLite::Statement s(*conn, "SELECT id FROM snapshots ORDER BY created_ms DESC, id LIMIT 1");
  out["latest_snapshot"] = s.executeStep() ? nlohmann::json(s.getColumn(0).getString()) : nlohmann::json(nullptr);
  return out;
}

std::string format_stats(const nlohmann::json& stats) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-14s %-6s %8s %8s %8s %10s %10s %10s\n", "source", "split", "real", "fake",
                "unknown", "confirmed", "real faces", "fake faces");
  out += line;
  for (const auto& r : stats.at("sources")) {
    std::snprintf(line, sizeof line, "%-14s %-6s %8d %8d %8d %10d %10d %10d\n",
                  r.at("source").get<std::string>().c_str(), r.at("split").get<std::string>().c_str(),
                  r.at("real_videos").get<int>(), r.at("fake_videos").get<int>(), r.at("unknown_videos").get<int>(),
                  r.at("confirmed_videos").get<int>(), r.at("real_faces").get<int>(), r.at("fake_faces").get<int>());
    out += line;
  }
  std::snprintf(line, sizeof line, "unassigned %lld, quarantined %zu, excluded %lld\n",
                static_cast<long long>(stats.at("unassigned").get<int64_t>()), stats.at("quarantined").size(),
                static_cast<long long>(stats.at("excluded").get<int64_t>()));
  out += line;
  for (const auto& q : stats.at("quarantined"))
    out += "  #" + std::to_string(q.at("submission").get<int64_t>()) + ": " + q.at("reason").get<std::string>() + "\n";
  for (const auto& c : stats.value("conflicts", nlohmann::json::array()))
    out += "  conflict #" + std::to_string(c.at("submission").get<int64_t>()) + " (" + c.at("split").get<std::string>() +
           ", unit " + c.at("group").get<std::string>() + "): " + c.at("reason").get<std::string>() + "\n";
  if (stats.contains("units") && stats["units"].is_object()) {
    const auto& u = stats["units"];
    std::snprintf(line, sizeof line, "split units %d (identity groups %d); largest holds %.0f%% of planned videos\n",
                  u.value("units", 0), u.value("identity_groups", 0), 100 * u.value("largest_share", 0.0));
    out += line;
    for (const auto& l : u["largest"]) {
      std::snprintf(line, sizeof line, "  %-20s %6d videos %5d people %3d sources\n",
                    l.value("group", std::string()).c_str(), l.value("videos", 0), l.value("people", 0),
                    l.value("sources", 0));
      out += line;
    }
  }
  for (const auto& t : stats.value("test_targets", nlohmann::json::array())) {
    std::snprintf(line, sizeof line, "test share %-14s %5.1f%% (target %.1f%%, %d of %d videos)%s\n",
                  t.value("source", std::string()).c_str(), 100 * t.value("test_share", 0.0),
                  100 * t.value("target", 0.0), t.value("test_videos", 0), t.value("videos", 0),
                  t.value("within_tolerance", false) ? "" : (": off target: " + t.value("why", std::string())).c_str());
    out += line;
  }
  return out;
}

} // namespace curator::dataset
