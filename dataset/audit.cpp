#include "dataset/audit.hpp"

#include "core/database.hpp"
#include "core/error.hpp"
#include "core/logging.hpp"
#include "dataset/evidence.hpp"
#include "dataset/identity_grouping.hpp"
#include "ingest/video_checks.hpp"

#include <SQLiteCpp/Transaction.h>
#include <spdlog/spdlog.h>

#include <algorithm>
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
  nlohmann::json suspects_json = nlohmann::json::array();
  for (const auto& l : suspects) suspects_json.push_back({{"kind", l.kind}, {"detail", l.detail}, {"evidence", l.evidence}});
  return {{"snapshot", snapshot}, {"items", items},   {"videos", videos}, {"tracks", tracks},
          {"clean", clean()},     {"counts", totals}, {"leaks", leaks_json},
          {"suspects", suspects_json}, {"suspect_count", suspect_count}};
}

std::string AuditReport::to_text() const {
  std::string out = "snapshot " + snapshot + ": " + std::to_string(items) + " crops, " + std::to_string(videos) +
                    " videos, " + std::to_string(tracks) + " tracks\n";
  for (const char* kind : {"group_on_two_sides", "close_tracks", "near_duplicate_footage", "derived_across"}) {
    const int n = counts.count(kind) ? counts.at(kind) : 0;
    out += std::string(n ? "LEAK " : "ok   ") + kind + ": " + std::to_string(n) + "\n";
  }
  for (const auto& l : leaks) out += "  " + l.kind + ": " + l.detail + "\n";
  out += "suspects (independent check, for a person to look at; never blocking): " + std::to_string(suspect_count) + "\n";
  for (const auto& l : suspects) out += "  " + l.kind + ": " + l.detail + "\n";
  return out;
}

namespace {

std::string video_name(int64_t id) { return "#" + std::to_string(id); }

// Where the snapshot put each video, unit and track.
struct Layout {
  std::map<int64_t, std::set<std::string>> splits_of_video;
  std::map<std::string, std::map<std::string, std::set<int64_t>>> groups; // group -> split -> videos
  std::set<std::pair<int64_t, int>> tracks;

  explicit Layout(const std::vector<ManifestItem>& items) {
    for (const auto& m : items) {
      splits_of_video[m.video].insert(m.split);
      groups[m.group][m.split].insert(m.video);
      tracks.emplace(m.video, m.track);
    }
  }
  const std::string& split_of(int64_t video) const { return *splits_of_video.at(video).begin(); }
  bool apart(int64_t a, int64_t b) const { return split_of(a) != split_of(b); }
};

// Counts every leak by kind; lists the first kMaxListed of each.
struct Findings {
  AuditReport& rep;
  void add(const std::string& kind, std::string detail, nlohmann::json evidence) {
    if (rep.counts[kind]++ < kMaxListed) rep.leaks.push_back({kind, std::move(detail), std::move(evidence)});
  }
};

// 1. One split unit on two sides (or one video listed under two splits).
void check_units(const Layout& layout, Findings& found) {
  for (const auto& [group, by_split] : layout.groups) {
    if (by_split.size() < 2) continue;
    nlohmann::json ev = nlohmann::json::object();
    std::string detail = "group " + group + " has videos in";
    for (const auto& [split, videos] : by_split) {
      ev[split] = videos;
      detail += " " + split + " (" + video_name(*videos.begin()) + (videos.size() > 1 ? ", ..." : "") + ")";
    }
    found.add("group_on_two_sides", detail, {{"group", group}, {"videos", ev}});
  }
}

// 2. Face tracks the planner's grouping (same identity vectors, distance and rule) puts together, on
//    different sides: a crossing edge of the grouping's spanning forest.
// The snapshot's tracks with identity vectors (unit length), their noise and (video, track).
struct Tracks {
  std::vector<Vec128> embeddings;
  std::vector<float> noise;
  std::vector<std::pair<int64_t, int>> owners;
};

Tracks load_tracks(SQLite::Database& conn, const Layout& layout, const DatasetSettings& settings) {
  Tracks t;
  SQLite::Statement q(conn, "SELECT embedding, face_count FROM tracks WHERE video_id = ? AND track_index = ?");
  for (const auto& [video, track] : layout.tracks) {
    q.reset();
    q.bind(1, video), q.bind(2, track);
    if (!q.executeStep() || q.getColumn("embedding").getBytes() != 128 * 4) continue;
    Vec128 e;
    std::memcpy(e.data(), q.getColumn("embedding").getBlob(), 128 * 4);
    t.embeddings.push_back(unit_length(e));
    t.noise.push_back(track_noise(settings.grouping.face_noise, q.getColumn("face_count").getInt()));
    t.owners.emplace_back(video, track);
  }
  return t;
}

float distance(const Vec128& a, const Vec128& b) {
  float d2 = 0;
  for (int k = 0; k < 128; ++k) d2 += (a[k] - b[k]) * (a[k] - b[k]);
  return std::sqrt(d2);
}

std::string pair_detail(const Layout& layout, const std::pair<int64_t, int>& a, const std::pair<int64_t, int>& b,
                        double d) {
  return "track " + std::to_string(a.second) + " of " + video_name(a.first) + " (" + layout.split_of(a.first) +
         ") and track " + std::to_string(b.second) + " of " + video_name(b.first) + " (" + layout.split_of(b.first) +
         ") are " + std::to_string(d) + " apart";
}

nlohmann::json pair_evidence(const Layout& layout, const std::pair<int64_t, int>& a, const std::pair<int64_t, int>& b,
                             double d) {
  return {{"a", {{"video", a.first}, {"track", a.second}, {"split", layout.split_of(a.first)}}},
          {"b", {{"video", b.first}, {"track", b.second}, {"split", layout.split_of(b.first)}}},
          {"distance", d}};
}

void check_close_tracks(const Tracks& tracks, const Layout& layout, const DatasetSettings& settings, Findings& found) {
  const auto& embeddings = tracks.embeddings;
  const auto& owners = tracks.owners;
  const auto grouping = group_identities(embeddings, settings.grouping, {}, tracks.noise);
  for (const auto& [a, b] : grouping.edges) {
    const auto& [va, ta] = owners[a];
    const auto& [vb, tb] = owners[b];
    if (!layout.apart(va, vb)) continue;
    found.add("close_tracks", pair_detail(layout, owners[a], owners[b], distance(embeddings[a], embeddings[b])),
              pair_evidence(layout, owners[a], owners[b], distance(embeddings[a], embeddings[b])));
  }
}

// 5. Independent of the grouping: every cross-split pair of tracks under the suspect distance, all
//    pairs measured (no linkage, no forest), nearest first.
void check_suspects(const Tracks& tracks, const Layout& layout, const DatasetSettings& settings, AuditReport& rep) {
  struct Pair {
    float d;
    size_t a, b;
  };
  std::vector<Pair> close;
  const auto limit = static_cast<float>(settings.suspect_distance);
  for (size_t a = 0; a < tracks.embeddings.size(); ++a)
    for (size_t b = a + 1; b < tracks.embeddings.size(); ++b) {
      if (!layout.apart(tracks.owners[a].first, tracks.owners[b].first)) continue;
      const float d = distance(tracks.embeddings[a], tracks.embeddings[b]);
      if (d < limit) close.push_back({d, a, b});
    }
  std::sort(close.begin(), close.end(), [](const Pair& x, const Pair& y) { return x.d < y.d; });
  rep.suspect_count = static_cast<int>(close.size());
  for (size_t i = 0; i < close.size() && i < static_cast<size_t>(kMaxListed); ++i) {
    const auto& p = close[i];
    rep.suspects.push_back({"close_faces", pair_detail(layout, tracks.owners[p.a], tracks.owners[p.b], p.d),
                            pair_evidence(layout, tracks.owners[p.a], tracks.owners[p.b], p.d)});
  }
}

// 3. The same footage on two sides.
void check_footage(SQLite::Database& conn, const Layout& layout, const DatasetSettings& settings, Findings& found) {
  std::vector<int64_t> ids;
  std::vector<std::vector<uint64_t>> hashes;
  SQLite::Statement q(conn, "SELECT phash FROM videos WHERE submission_id = ?");
  for (const auto& [video, splits] : layout.splits_of_video) {
    q.reset();
    q.bind(1, video);
    if (!q.executeStep()) continue;
    ids.push_back(video);
    hashes.push_back(ingest::hash_values(q.getColumn("phash").getBlob(), q.getColumn("phash").getBytes()));
  }
  for (const auto& [i, j] : near_duplicate_pairs(hashes, settings.near_duplicate_bits)) {
    const int64_t a = ids[i], b = ids[j];
    if (!layout.apart(a, b)) continue;
    found.add("near_duplicate_footage",
              video_name(a) + " (" + layout.split_of(a) + ") and " + video_name(b) + " (" + layout.split_of(b) +
                  ") are the same footage",
              {{"a", a}, {"b", b}, {"distance_bits", ingest::mean_hash_distance(hashes[i], hashes[j])}});
  }
}

// 4. A fake away from the video it derives from.
void check_derived(SQLite::Database& conn, const Layout& layout, Findings& found) {
  for (const auto& [fake, from] : resolved_relations(conn)) {
    if (!layout.splits_of_video.count(fake) || !layout.splits_of_video.count(from) || !layout.apart(fake, from)) continue;
    found.add("derived_across",
              video_name(fake) + " (" + layout.split_of(fake) + ") derives from " + video_name(from) + " (" +
                  layout.split_of(from) + ")",
              {{"derived", fake}, {"from", from}});
  }
}

} // namespace

AuditReport audit_snapshot(core::Database& db, const std::string& snapshot_id, const std::vector<ManifestItem>& items,
                           const DatasetSettings& settings) {
  AuditReport rep;
  rep.snapshot = snapshot_id;
  rep.items = static_cast<int>(items.size());
  const Layout layout(items);
  rep.videos = static_cast<int>(layout.splits_of_video.size());
  rep.tracks = static_cast<int>(layout.tracks.size());
  Findings found{rep};
  check_units(layout, found);
  auto conn = db.connect();
  SQLite::Transaction read(*conn, SQLite::TransactionBehavior::DEFERRED); // one consistent read
  const auto tracks = load_tracks(*conn, layout, settings);
  check_close_tracks(tracks, layout, settings, found);
  check_suspects(tracks, layout, settings, rep);
  check_footage(*conn, layout, settings, found);
  check_derived(*conn, layout, found);
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
  if (!units.empty()) // kept out of the snapshot: reported, never blocking
    core::logger("dataset")->warn("{} split unit(s) hold one person, derivation or footage in two splits and are kept "
                                  "out of snapshot {} (first: {}); `curator dataset stats` lists them, `curator "
                                  "dataset exclude` settles one",
                                  units.size(), snapshot_id.substr(0, 12), units.front());
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
