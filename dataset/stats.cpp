#include "dataset/stats.hpp"

#include "core/database.hpp"

#include <SQLiteCpp/Transaction.h>
#include <cstdio>
#include <map>
#include <tuple>

namespace curator::dataset {

nlohmann::json dataset_stats(core::Database& db) {
  auto conn = db.connect();
  SQLite::Transaction read(*conn, SQLite::TransactionBehavior::DEFERRED);
  struct Row {
    int videos[3] = {0, 0, 0}, faces[3] = {0, 0, 0}, confirmed = 0;
  };
  std::map<std::pair<std::string, std::string>, Row> rows;
  SQLite::Statement q(*conn, "SELECT s.source, d.split, CASE WHEN r.state = 'confirmed' THEN r.label ELSE "
                             "s.claimed_label END, r.state = 'confirmed', (SELECT COUNT(*) FROM faces f WHERE "
                             "f.video_id = s.id) FROM dataset_videos d JOIN submissions s ON s.id = d.submission_id "
                             "LEFT JOIN review_items r ON r.submission_id = s.id WHERE d.state = 'assigned'");
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
  auto count = [&](const char* sql) {
    SQLite::Statement c(*conn, sql);
    return c.executeStep() ? c.getColumn(0).getInt64() : 0;
  };
  out["unassigned"] = count("SELECT COUNT(*) FROM submissions s WHERE s.state = 'done' AND NOT EXISTS "
                            "(SELECT 1 FROM dataset_videos d WHERE d.submission_id = s.id)");
  out["excluded"] = count("SELECT COUNT(*) FROM dataset_videos WHERE state = 'excluded'");
  out["generation"] = count("SELECT generation FROM dataset_state WHERE id = 1");
  nlohmann::json held = nlohmann::json::array();
  SQLite::Statement h(*conn, "SELECT submission_id, COALESCE(reason, '') FROM dataset_videos WHERE state = 'quarantined' "
                             "ORDER BY submission_id");
  while (h.executeStep()) held.push_back({{"submission", h.getColumn(0).getInt64()}, {"reason", h.getColumn(1).getString()}});
  out["quarantined"] = held;
  SQLite::Statement s(*conn, "SELECT id FROM snapshots ORDER BY created_ms DESC, id LIMIT 1");
  out["latest_snapshot"] = s.executeStep() ? nlohmann::json(s.getColumn(0).getString()) : nlohmann::json(nullptr);
  return out;
}

std::string format_stats(const nlohmann::json& stats) {
  std::string out;
  char line[256];
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
  return out;
}

} // namespace curator::dataset
