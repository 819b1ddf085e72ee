#include "dataset/audit.hpp"

#include "core/database.hpp"
#include "core/error.hpp"
#include "dataset/evidence.hpp"
#include "dataset/identity_grouping.hpp"
#include "ingest/video_checks.hpp"

#include <SQLiteCpp/Transaction.h>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

namespace curator::dataset {

nlohmann::json AuditReport::to_json() const {
  nlohmann::json leaks_json = nlohmann::json::array();
  for (const auto& l : leaks) leaks_json.push_back({{"kind", l.kind}, {"detail", l.detail}, {"evidence", l.evidence}});
  nlohmann::json totals = nlohmann::json::object();
  for (const char* kind : {"group_on_two_sides", "close_tracks", "near_duplicate_footage", "derived_across"})
    totals[kind] = counts.count(kind) ? counts.at(kind) : 0;
  return {{"snapshot", snapshot}, {"items", items},   {"videos", videos}, {"tracks", tracks},
          {"clean", clean()},     {"counts", totals}, {"leaks", leaks_json}};
}

std::string AuditReport::to_text() const {
  std::string out = "snapshot " + snapshot + ": " + std::to_string(items) + " crops, " + std::to_string(videos) +
                    " videos, " + std::to_string(tracks) + " tracks\n";
  for (const char* kind : {"group_on_two_sides", "close_tracks", "near_duplicate_footage", "derived_across"}) {
    const int n = counts.count(kind) ? counts.at(kind) : 0;
    out += std::string(n ? "LEAK " : "ok   ") + kind + ": " + std::to_string(n) + "\n";
  }
  for (const auto& l : leaks) out += "  " + l.kind + ": " + l.detail + "\n";
  return out;
}

namespace {

std::string video_name(int64_t id) { return "#" + std::to_string(id); }

} // namespace

AuditReport audit_snapshot(core::Database& db, const std::string& snapshot_id, const std::vector<ManifestItem>& items,
                           const DatasetSettings& settings) {
  AuditReport rep;
  rep.snapshot = snapshot_id;
  rep.items = static_cast<int>(items.size());
  auto report = [&](const std::string& kind, std::string detail, nlohmann::json evidence) {
    if (rep.counts[kind]++ < kMaxListed) rep.leaks.push_back({kind, std::move(detail), std::move(evidence)});
  };
  std::map<int64_t, std::set<std::string>> splits_of_video;
  std::map<std::string, std::map<std::string, std::set<int64_t>>> groups; // group -> split -> videos
  std::set<std::pair<int64_t, int>> track_set;
  for (const auto& m : items) {
    splits_of_video[m.video].insert(m.split);
    groups[m.group][m.split].insert(m.video);
    track_set.emplace(m.video, m.track);
  }
  rep.videos = static_cast<int>(splits_of_video.size());
  rep.tracks = static_cast<int>(track_set.size());
  auto split_of = [&](int64_t video) { return *splits_of_video.at(video).begin(); };

  // 1. One split unit on two sides (or one video listed under two splits).
  for (const auto& [group, by_split] : groups)
    if (by_split.size() > 1) {
      nlohmann::json ev = nlohmann::json::object();
      std::string detail = "group " + group + " has videos in";
      for (const auto& [split, videos] : by_split) {
        ev[split] = videos;
        detail += " " + split + " (" + video_name(*videos.begin()) + (videos.size() > 1 ? ", ..." : "") + ")";
      }
      report("group_on_two_sides", detail, {{"group", group}, {"videos", ev}});
    }

  auto conn = db.connect();
  SQLite::Transaction read(*conn, SQLite::TransactionBehavior::DEFERRED);
  // 2. Face tracks the planner's grouping (same identity vectors, distance and rule) puts together, on
  //    different sides: a crossing edge of the grouping's spanning forest.
  {
    std::vector<Vec128> embeddings;
    std::vector<float> noise;
    std::vector<std::pair<int64_t, int>> owners;
    SQLite::Statement q(*conn, "SELECT embedding, face_count FROM tracks WHERE video_id = ? AND track_index = ?");
    for (const auto& [video, track] : track_set) {
      q.reset();
      q.bind(1, video), q.bind(2, track);
      if (!q.executeStep() || q.getColumn(0).getBytes() != 128 * 4) continue;
      Vec128 e;
      std::memcpy(e.data(), q.getColumn(0).getBlob(), 128 * 4);
      embeddings.push_back(unit_length(e));
      noise.push_back(track_noise(settings.grouping.face_noise, q.getColumn(1).getInt()));
      owners.emplace_back(video, track);
    }
    const auto grouping = group_identities(embeddings, settings.grouping, {}, noise);
    for (const auto& [a, b] : grouping.edges) {
      const auto& [va, ta] = owners[a];
      const auto& [vb, tb] = owners[b];
      if (split_of(va) == split_of(vb)) continue;
      float d2 = 0;
      for (int k = 0; k < 128; ++k) d2 += (embeddings[a][k] - embeddings[b][k]) * (embeddings[a][k] - embeddings[b][k]);
      const double distance = std::sqrt(d2);
      report("close_tracks",
             "track " + std::to_string(ta) + " of " + video_name(va) + " (" + split_of(va) + ") and track " +
                 std::to_string(tb) + " of " + video_name(vb) + " (" + split_of(vb) + ") are " +
                 std::to_string(distance) + " apart",
             {{"a", {{"video", va}, {"track", ta}, {"split", split_of(va)}}},
              {"b", {{"video", vb}, {"track", tb}, {"split", split_of(vb)}}},
              {"distance", distance}});
    }
  }
  // 3. The same footage on two sides.
  {
    std::vector<int64_t> ids;
    std::vector<std::vector<uint64_t>> hashes;
    SQLite::Statement q(*conn, "SELECT phash FROM videos WHERE submission_id = ?");
    for (const auto& [video, splits] : splits_of_video) {
      q.reset();
      q.bind(1, video);
      if (!q.executeStep()) continue;
      ids.push_back(video);
      hashes.push_back(ingest::hash_values(q.getColumn(0).getBlob(), q.getColumn(0).getBytes()));
    }
    for (const auto& [i, j] : near_duplicate_pairs(hashes, settings.near_duplicate_bits)) {
      const int64_t a = ids[i], b = ids[j];
      if (split_of(a) == split_of(b)) continue;
      report("near_duplicate_footage",
             video_name(a) + " (" + split_of(a) + ") and " + video_name(b) + " (" + split_of(b) +
                 ") are the same footage",
             {{"a", a}, {"b", b}, {"distance_bits", ingest::mean_hash_distance(hashes[i], hashes[j])}});
    }
  }
  // 4. A fake away from the video it derives from.
  for (const auto& [fake, from] : resolved_relations(*conn)) {
    if (!splits_of_video.count(fake) || !splits_of_video.count(from) || split_of(fake) == split_of(from)) continue;
    report("derived_across",
           video_name(fake) + " (" + split_of(fake) + ") derives from " + video_name(from) + " (" + split_of(from) + ")",
           {{"derived", fake}, {"from", from}});
  }
  return rep;
}

std::vector<std::string> conflicts(core::Database& db) {
  auto conn = db.connect();
  SQLite::Statement q(*conn, "SELECT group_key, group_concat('#' || submission_id || ' (' || split || ')', ', ') FROM "
                             "dataset_videos WHERE conflict IS NOT NULL GROUP BY group_key ORDER BY group_key");
  std::vector<std::string> out;
  while (q.executeStep()) out.push_back("unit " + q.getColumn(0).getString() + ": " + q.getColumn(1).getString());
  return out;
}

void require_no_leaks(core::Database& db, const std::string& snapshot_id, const std::vector<ManifestItem>& items,
                      const DatasetSettings& settings) {
  const auto units = conflicts(db);
  if (!units.empty()) {
    std::string what;
    for (size_t i = 0; i < units.size() && i < 3; ++i) what += (i ? "; " : "") + units[i];
    throw Conflict(std::to_string(units.size()) + " split unit(s) hold one person, derivation or footage in two "
                   "splits (" + what + "): training refused until one side is excluded (`curator dataset exclude`); "
                   "`curator dataset stats` lists them");
  }
  const auto report = audit_snapshot(db, snapshot_id, items, settings);
  if (report.clean()) return;
  std::string what;
  for (size_t i = 0; i < report.leaks.size() && i < 3; ++i)
    what += (i ? "; " : "") + report.leaks[i].kind + ": " + report.leaks[i].detail;
  int total = 0;
  for (const auto& [kind, n] : report.counts) total += n;
  throw Conflict("snapshot " + snapshot_id.substr(0, 12) + " leaks across splits (" + std::to_string(total) +
                 " finding(s); " + what + "): training refused; `curator dataset audit " + snapshot_id.substr(0, 12) +
                 "` lists every leak");
}

} // namespace curator::dataset
