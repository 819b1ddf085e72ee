#include "dataset/dataset_store.hpp"

#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/database.hpp"
#include "core/error.hpp"
#include "core/logging.hpp"
#include "core/setting_keys.hpp"
#include "dataset/evidence.hpp"
#include "ingest/video_checks.hpp"

#include <SQLiteCpp/Transaction.h>
#include <spdlog/spdlog.h>
#include <chrono>
#include <cstring>
#include <map>
#include <unordered_map>

namespace curator::dataset {

DatasetSettings DatasetSettings::from_config(const core::Config& c) {
  DatasetSettings s;
  s.grouping.threshold = static_cast<float>(c.get(core::keys::dataset_group_threshold));
  s.grouping.linkage = parse_linkage(c.get(core::keys::dataset_group_linkage));
  s.grouping.face_noise = static_cast<float>(c.get(core::keys::dataset_group_face_noise));
  s.bridge_min_videos = static_cast<int>(c.get(core::keys::dataset_bridge_min_videos));
  s.max_unit_share = c.get(core::keys::dataset_max_unit_share);
  s.suspect_distance = c.get(core::keys::dataset_suspect_distance);
  s.test_fraction = c.get(core::keys::dataset_test_fraction);
  s.val_fraction = c.get(core::keys::dataset_val_fraction);
  s.near_duplicate_bits = static_cast<int>(c.get(core::keys::ingest_near_duplicate_bits));
  if (s.test_fraction + s.val_fraction > 1)
    throw ConfigError("dataset.test_fraction + dataset.val_fraction must be at most 1");
  return s;
}

nlohmann::json RefreshSummary::to_json() const {
  return {{"videos", videos},
          {"tracks", tracks},
          {"units", units},
          {"identity_groups", identity_groups},
          {"rounds", rounds},
          {"largest_unit",
           {{"videos", largest_unit.videos}, {"people", largest_unit.people}, {"sources", largest_unit.sources}}},
          {"assigned_now", assigned_now},
          {"by_rule", by_rule},
          {"by_official", by_official},
          {"inherited", inherited},
          {"quarantined", quarantined},
          {"excluded", excluded},
          {"conflicts", conflicts},
          {"relation_links", relation_links},
          {"duplicate_links", duplicate_links},
          {"generation", generation},
          {"seconds", seconds}};
}

namespace {

// Everything the planner needs, with the submission id of each video (same order).
struct LoadedDataset {
  PlanInput input;
  std::vector<int64_t> submission_ids;
  std::vector<std::string> stored_groups; // group key in dataset_videos ("" when not planned yet)
  int64_t generation = 0;
};

struct Extra {
  std::vector<std::vector<uint64_t>> hashes;
  int relation_links = 0, duplicate_links = 0;
};

LoadedDataset load(SQLite::Database& conn, const DatasetSettings& settings, Extra& extra) {
  LoadedDataset out;
  auto& in = out.input;
  in.grouping = settings.grouping;
  in.bridge_min_videos = settings.bridge_min_videos;
  in.max_unit_share = settings.max_unit_share;
  in.test_fraction = settings.test_fraction;
  in.val_fraction = settings.val_fraction;
  {
    SQLite::Statement g(conn, "SELECT generation FROM dataset_state WHERE id = 1");
    if (g.executeStep()) out.generation = g.getColumn(0).getInt64();
  }
  std::unordered_map<int64_t, uint32_t> index;
  SQLite::Statement q(conn, "SELECT s.id, s.blob_sha256, s.source, s.claimed_label, s.official_split, "
                            "d.state, d.split, v.phash, d.group_key FROM submissions s JOIN videos v ON v.submission_id = s.id "
                            "LEFT JOIN dataset_videos d ON d.submission_id = s.id WHERE s.state = 'done' ORDER BY s.id");
  while (q.executeStep()) {
    VideoNode node;
    const int64_t id = q.getColumn("id").getInt64();
    node.key = q.getColumn("blob_sha256").isNull() ? "#" + std::to_string(id) : q.getColumn("blob_sha256").getString();
    node.source = q.getColumn("source").getString();
    node.label = q.getColumn("claimed_label").getString();
    if (!q.getColumn("official_split").isNull()) node.official = parse_split(q.getColumn("official_split").getString());
    node.excluded = !q.getColumn("state").isNull() && q.getColumn("state").getString() == "excluded";
    if (!q.getColumn("split").isNull()) node.assigned = parse_split(q.getColumn("split").getString());
    const auto idx = static_cast<uint32_t>(in.videos.size());
    index[id] = idx;
    extra.hashes.push_back(ingest::hash_values(q.getColumn("phash").getBlob(), q.getColumn("phash").getBytes()));
    in.videos.push_back(std::move(node));
    out.submission_ids.push_back(id);
    out.stored_groups.push_back(q.getColumn("group_key").isNull() ? "" : q.getColumn("group_key").getString());
  }
  SQLite::Statement tq(conn, "SELECT t.video_id, t.embedding, t.face_count FROM tracks t JOIN submissions s ON "
                            "s.id = t.video_id WHERE s.state = 'done' ORDER BY t.video_id, t.track_index");
  while (tq.executeStep()) {
    auto it = index.find(tq.getColumn("video_id").getInt64());
    if (it == index.end() || tq.getColumn("embedding").getBytes() != 128 * 4) continue;
    TrackNode node;
    node.video = it->second;
    std::memcpy(node.embedding.data(), tq.getColumn("embedding").getBlob(), 128 * 4);
    node.embedding = unit_length(node.embedding); // rows from before identity vectors were unit length
    node.faces = tq.getColumn("face_count").getInt();
    in.tracks.push_back(node);
  }
  for (const auto& [from, to] : resolved_relations(conn)) {
    auto f = index.find(from), t = index.find(to);
    if (f == index.end() || t == index.end()) continue;
    in.links.emplace_back(f->second, t->second);
    ++extra.relation_links;
  }
  // The same footage (a fake and its undeclared original, two encodes of different methods).
  for (const auto& pair : near_duplicate_pairs(extra.hashes, settings.near_duplicate_bits)) {
    in.duplicates.push_back(pair);
    ++extra.duplicate_links;
  }
  return out;
}

// The shape of the split units, kept for `dataset stats`: how many, the largest ones, a size histogram.
nlohmann::json units_json(const Plan& plan) {
  nlohmann::json largest = nlohmann::json::array();
  for (size_t i = 0; i < plan.unit_sizes.size() && i < 5; ++i) {
    const auto& u = plan.unit_sizes[i];
    largest.push_back({{"group", u.group}, {"videos", u.videos}, {"people", u.people}, {"sources", u.sources}});
  }
  std::map<std::string, int> histogram{{"1", 0}, {"2-5", 0}, {"6-20", 0}, {"21-100", 0}, {">100", 0}};
  int videos = 0;
  for (const auto& u : plan.unit_sizes) {
    videos += u.videos;
    histogram[u.videos == 1 ? "1" : u.videos <= 5 ? "2-5" : u.videos <= 20 ? "6-20" : u.videos <= 100 ? "21-100" : ">100"] += 1;
  }
  return {{"units", plan.unit_sizes.size()}, {"videos", videos}, {"identity_groups", plan.identity_groups},
          {"largest", largest}, {"histogram", histogram}};
}

// Videos of units whose assigned splits disagree carry the reason; they stay out of snapshots until the
// conflict is gone (an admin excludes the culprit).
void mark_conflicts(SQLite::Database& conn, const Plan& plan, const std::vector<int64_t>& ids) {
  conn.exec("UPDATE dataset_videos SET conflict = NULL WHERE conflict IS NOT NULL");
  SQLite::Statement q(conn, "UPDATE dataset_videos SET conflict = ? WHERE submission_id = ?");
  for (size_t i = 0; i < plan.videos.size(); ++i)
    if (plan.videos[i].decision == Decision::conflict) {
      q.reset();
      q.bind(1, plan.videos[i].reason), q.bind(2, ids[i]);
      q.exec();
    }
}

void upsert(SQLite::Database& conn, int64_t id, const char* state, const VideoPlan& v, int64_t now, bool new_split) {
  SQLite::Statement q(conn, "INSERT INTO dataset_videos(submission_id, state, split, group_key, decision, reason, "
                            "assigned_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                            "ON CONFLICT(submission_id) DO UPDATE SET state = ?2, split = COALESCE(split, ?3), "
                            "group_key = ?4, decision = CASE WHEN split IS NULL THEN ?5 ELSE decision END, "
                            "reason = ?6, assigned_ms = COALESCE(assigned_ms, ?7), updated_ms = ?8");
  q.bind(1, id);
  q.bind(2, state);
  if (v.split) q.bind(3, split_name(*v.split));
  else q.bind(3);
  q.bind(4, v.group);
  q.bind(5, decision_name(v.decision));
  if (v.reason.empty()) q.bind(6);
  else q.bind(6, v.reason);
  if (new_split) q.bind(7, now);
  else q.bind(7);
  q.bind(8, now);
  q.exec();
}

} // namespace

RefreshSummary refresh_splits(core::Database& db, const core::Clock& clock, const DatasetSettings& settings) {
  const auto started = std::chrono::steady_clock::now();
  for (int attempt = 0;; ++attempt) {
    auto conn = db.connect();
    Extra extra;
    LoadedDataset data;
    {
      SQLite::Transaction read(*conn, SQLite::TransactionBehavior::DEFERRED); // one consistent read
      data = load(*conn, settings, extra);
    }
    const Plan plan = plan_splits(data.input);
    core::WriteTransaction txn(*conn);
    SQLite::Statement g(*conn, "SELECT generation FROM dataset_state WHERE id = 1");
    if (!g.executeStep() || g.getColumn(0).getInt64() != data.generation) {
      if (attempt < 5) continue; // someone applied a plan meanwhile: plan again on fresh data
      throw Conflict("the dataset kept changing while its splits were planned; try again");
    }
    RefreshSummary sum;
    const int64_t now = clock.now_ms();
    for (size_t i = 0; i < plan.videos.size(); ++i) {
      const auto& v = plan.videos[i];
      const auto& node = data.input.videos[i];
      const int64_t id = data.submission_ids[i];
      switch (v.decision) {
      case Decision::excluded: ++sum.excluded; continue;
      case Decision::quarantined: ++sum.quarantined; upsert(*conn, id, "quarantined", v, now, false); continue;
      case Decision::rule: ++sum.by_rule; break;
      case Decision::official: ++sum.by_official; break;
      case Decision::inherited: ++sum.inherited; break;
      case Decision::kept:
        if (v.group == data.stored_groups[i]) continue; // nothing changed: no write
        break;
      case Decision::conflict: break;
      }
      upsert(*conn, id, "assigned", v, now, !node.assigned);
    }
    mark_conflicts(*conn, plan, data.submission_ids);
    sum.assigned_now = sum.by_rule + sum.by_official + sum.inherited;
    SQLite::Statement bump(*conn, "UPDATE dataset_state SET generation = generation + 1, units = ? WHERE id = 1");
    bump.bind(1, units_json(plan).dump());
    bump.exec();
    txn.commit();
    if (!plan.unit_sizes.empty()) sum.largest_unit = plan.unit_sizes.front();
    sum.videos = static_cast<int>(data.input.videos.size());
    sum.tracks = static_cast<int>(data.input.tracks.size());
    sum.units = plan.units;
    sum.identity_groups = plan.identity_groups;
    sum.rounds = plan.rounds;
    sum.conflicts = plan.conflicts;
    sum.relation_links = extra.relation_links;
    sum.duplicate_links = extra.duplicate_links;
    sum.generation = data.generation + 1;
    sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    core::logger("dataset")->info("splits refreshed: {} videos, {} newly assigned, {} quarantined, {} units in {:.2f} s",
                                  sum.videos, sum.assigned_now, sum.quarantined, sum.units, sum.seconds);
    return sum;
  }
}

void exclude_video(core::Database& db, const core::Clock& clock, int64_t submission_id, const std::string& reason) {
  auto conn = db.connect();
  core::WriteTransaction txn(*conn);
  SQLite::Statement s(*conn, "SELECT 1 FROM submissions WHERE id = ? AND state = 'done'");
  s.bind(1, submission_id);
  if (!s.executeStep()) throw NotFound("no finished submission #" + std::to_string(submission_id));
  SQLite::Statement q(*conn, "INSERT INTO dataset_videos(submission_id, state, group_key, decision, reason, updated_ms) "
                             "VALUES (?1, 'excluded', 'excluded', 'excluded', ?2, ?3) ON CONFLICT(submission_id) DO "
                             "UPDATE SET state = 'excluded', reason = ?2, updated_ms = ?3");
  q.bind(1, submission_id);
  q.bind(2, reason);
  q.bind(3, clock.now_ms());
  q.exec();
  SQLite::Statement bump(*conn, "UPDATE dataset_state SET generation = generation + 1 WHERE id = 1");
  bump.exec();
  txn.commit();
}

} // namespace curator::dataset
