#include "dataset/snapshot.hpp"

#include "core/clock.hpp"
#include "core/data_dir.hpp"
#include "core/database.hpp"
#include "core/error.hpp"
#include "core/logging.hpp"
#include "core/sha256.hpp"
#include "labeling/review_queue.hpp"

#include <SQLiteCpp/Transaction.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <ostream>
#include <set>

namespace curator::dataset {

nlohmann::json ManifestItem::to_json() const {
  // Keys in a fixed order (nlohmann sorts them), so equal items serialise to equal bytes.
  nlohmann::json j = {{"crop", crop},   {"sha256", sha256}, {"label", label}, {"source", source}, {"split", split},
                      {"group", group}, {"video", video},   {"track", track}, {"frame", frame},   {"small", small},
                      {"blurred", blurred}};
  if (!landmarks.empty()) j["landmarks"] = landmarks;
  if (!derived_from.empty()) j["derived_from"] = derived_from;
  if (random_intake) j["intake"] = "random";
  return j;
}

ManifestItem ManifestItem::from_json(const nlohmann::json& j) {
  auto field = [&](const char* name, nlohmann::json::value_t type) -> const nlohmann::json& {
    if (!j.is_object() || !j.contains(name)) throw InvalidInput(std::string("missing field '") + name + "'");
    const auto& v = j.at(name);
    const bool ok = v.type() == type || (type == nlohmann::json::value_t::number_integer && v.is_number_integer());
    if (!ok) throw InvalidInput(std::string("field '") + name + "' has the wrong type");
    return v;
  };
  using T = nlohmann::json::value_t;
  ManifestItem m;
  m.crop = field("crop", T::string).get<std::string>();
  m.sha256 = field("sha256", T::string).get<std::string>();
  m.label = field("label", T::string).get<std::string>();
  m.source = field("source", T::string).get<std::string>();
  m.split = field("split", T::string).get<std::string>();
  (void)parse_split(m.split);
  if (m.label != "real" && m.label != "fake") throw InvalidInput("label must be real or fake, not '" + m.label + "'");
  m.group = field("group", T::string).get<std::string>();
  m.video = field("video", T::number_integer).get<int64_t>();
  m.track = field("track", T::number_integer).get<int>();
  m.frame = field("frame", T::number_integer).get<int>();
  m.small = field("small", T::boolean).get<bool>();
  m.blurred = field("blurred", T::boolean).get<bool>();
  try {
    if (j.contains("landmarks")) m.landmarks = j.at("landmarks").get<std::vector<float>>();
    if (j.contains("derived_from")) m.derived_from = j.at("derived_from").get<std::vector<int64_t>>();
  } catch (const nlohmann::json::exception&) {
    throw InvalidInput("fields 'landmarks' and 'derived_from' must be lists of numbers");
  }
  m.random_intake = j.value("intake", nlohmann::json()) == "random";
  if (!m.landmarks.empty() && m.landmarks.size() != 136) throw InvalidInput("field 'landmarks' must hold 136 values");
  return m;
}

nlohmann::json SnapshotInfo::to_json() const {
  return {{"id", id}, {"manifest", manifest.string()}, {"items", items}, {"videos", videos},
          {"summary", summary}, {"created_ms", created_ms}};
}

namespace {

// Which videos (submissions s) a snapshot holds: done, assigned a split outside any conflict, and
// confirmed (d and r name the split and the review). Shared by the snapshot and its counts.
// The confirmed labels come from labeling's own read of its table.
const std::string kMembers =
    std::string("JOIN dataset_videos d ON d.submission_id = s.id AND d.state = 'assigned' AND d.conflict IS NULL JOIN ") +
    labeling::confirmed_labels_sql() + " r ON r.submission_id = s.id WHERE s.state = 'done'";

nlohmann::json summarize(const std::vector<ManifestItem>& items, const DatasetSettings& settings) {
  nlohmann::json sources = nlohmann::json::object();
  std::set<std::pair<int64_t, std::string>> seen; // (video, label) counted once
  for (const auto& m : items) {
    auto& row = sources[m.source][m.split];
    if (row.is_null()) row = {{"real_videos", 0}, {"fake_videos", 0}, {"real_faces", 0}, {"fake_faces", 0}};
    row[m.label + "_faces"] = row[m.label + "_faces"].get<int>() + 1;
    if (seen.emplace(m.video, m.label).second) row[m.label + "_videos"] = row[m.label + "_videos"].get<int>() + 1;
  }
  return {{"settings",
           {{"group_threshold", settings.grouping.threshold},
            {"group_linkage", linkage_name(settings.grouping.linkage)},
            {"test_fraction", settings.test_fraction},
            {"val_fraction", settings.val_fraction}}},
          {"sources", sources}};
}

// The landmarks of the current row's face as shares of its training crop (faces::training_crop_box: 1.3
// times the box's longer side, around its centre).
std::vector<float> crop_landmarks(SQLite::Statement& q) {
  const auto blob = q.getColumn("landmarks");
  if (blob.getBytes() != 136 * static_cast<int>(sizeof(float))) return {};
  const double x = q.getColumn("x").getDouble(), y = q.getColumn("y").getDouble(), w = q.getColumn("w").getDouble(),
               h = q.getColumn("h").getDouble();
  const double side = std::max(1.0, static_cast<double>(std::lround(std::max(w, h) * 1.3)));
  const double x0 = std::lround(x + w / 2 - std::max(w, h) * 1.3 / 2), y0 = std::lround(y + h / 2 - std::max(w, h) * 1.3 / 2);
  std::vector<float> raw(136), out(136);
  std::memcpy(raw.data(), blob.getBlob(), raw.size() * sizeof(float));
  for (size_t i = 0; i < 136; i += 2) {
    out[i] = static_cast<float>(std::round((raw[i] - x0) / side * 1e4) / 1e4);
    out[i + 1] = static_cast<float>(std::round((raw[i + 1] - y0) / side * 1e4) / 1e4);
  }
  return out;
}

// Each item's originals among the snapshot's videos ("#<id>", or the external id of a submission of the same
// source), from ingest's declared relations.
void add_derived_from(SQLite::Database& conn, std::vector<ManifestItem>& items) {
  std::set<int64_t> present;
  for (const auto& m : items) present.insert(m.video);
  SQLite::Statement q(conn, "SELECT r.submission_id, COALESCE(o.id, CASE WHEN substr(r.derived_from, 1, 1) = '#' "
                            "THEN CAST(substr(r.derived_from, 2) AS INTEGER) END) AS original "
                            "FROM submission_relations r JOIN submissions s ON s.id = r.submission_id "
                            "LEFT JOIN submissions o ON o.external_id = r.derived_from AND o.source = s.source");
  std::map<int64_t, std::set<int64_t>> originals;
  while (q.executeStep()) {
    if (q.getColumn("original").isNull()) continue;
    const int64_t original = q.getColumn("original").getInt64();
    if (present.count(original)) originals[q.getColumn("submission_id").getInt64()].insert(original);
  }
  for (auto& m : items)
    if (auto it = originals.find(m.video); it != originals.end()) m.derived_from.assign(it->second.begin(), it->second.end());
}

SnapshotInfo from_row(SQLite::Statement& q, const core::DataDir& dir) {
  SnapshotInfo s;
  s.id = q.getColumn(0).getString();
  s.manifest = dir.root() / q.getColumn(1).getString();
  s.items = q.getColumn(2).getInt();
  s.videos = q.getColumn(3).getInt();
  s.summary = nlohmann::json::parse(q.getColumn(4).getString());
  s.created_ms = q.getColumn(5).getInt64();
  return s;
}

} // namespace

SnapshotInfo create_snapshot(core::Database& db, const core::DataDir& dir, const core::Clock& clock,
                             const DatasetSettings& settings) {
  auto conn = db.connect();
  std::vector<ManifestItem> items;
  {
    SQLite::Transaction read(*conn, SQLite::TransactionBehavior::DEFERRED);
    SQLite::Statement q(*conn, std::string("SELECT f.crop_path, r.label, s.source, d.split, d.group_key, f.video_id, "
                                           "f.track_index, f.frame_index, f.small, f.blurred, f.x, f.y, f.w, f.h, "
                                           "f.landmarks, r.intake FROM faces f JOIN submissions s ON s.id = f.video_id ") +
                                   kMembers + " ORDER BY f.video_id, f.track_index, f.frame_index");
    while (q.executeStep()) {
      ManifestItem m;
      m.crop = q.getColumn("crop_path").getString();
      m.label = q.getColumn("label").getString();
      m.source = q.getColumn("source").getString();
      m.split = q.getColumn("split").getString();
      m.group = q.getColumn("group_key").getString();
      m.video = q.getColumn("video_id").getInt64();
      m.track = q.getColumn("track_index").getInt();
      m.frame = q.getColumn("frame_index").getInt();
      m.small = q.getColumn("small").getInt() != 0;
      m.blurred = q.getColumn("blurred").getInt() != 0;
      m.landmarks = crop_landmarks(q);
      m.random_intake = q.getColumn("intake").getString() == "random";
      items.push_back(std::move(m));
    }
    add_derived_from(*conn, items);
  }
  std::string manifest;
  std::set<int64_t> videos;
  std::vector<ManifestItem> kept;
  int missing = 0;
  for (auto& m : items) {
    try {
      m.sha256 = core::sha256_file(dir.root() / m.crop);
    } catch (const std::exception& e) {
      ++missing; // a crop lost on disk: left out of the snapshot, and said so
      core::logger("dataset")->warn("snapshot leaves out {}: {}", m.crop, e.what());
      continue;
    }
    videos.insert(m.video);
    manifest += m.to_json().dump() + "\n";
    kept.push_back(m);
  }
  if (manifest.empty())
    throw Conflict("no confirmed face crops with an assigned split yet: confirm reviews and refresh the dataset");
  SnapshotInfo info;
  info.id = core::sha256_hex(manifest);
  const std::string rel = core::DataDir::snapshot_rel(info.id);
  info.manifest = dir.root() / rel;
  info.items = static_cast<int>(kept.size());
  info.videos = static_cast<int>(videos.size());
  info.summary = summarize(kept, settings);
  info.summary["missing_crops"] = missing;
  info.created_ms = clock.now_ms();
  std::filesystem::create_directories(dir.snapshots());
  if (!std::filesystem::exists(info.manifest)) core::write_file_atomic(info.manifest, manifest);
  core::WriteTransaction txn(*conn);
  SQLite::Statement ins(*conn, "INSERT OR IGNORE INTO snapshots(id, manifest, items, videos, summary, created_ms) "
                               "VALUES (?, ?, ?, ?, ?, ?)");
  ins.bind(1, info.id), ins.bind(2, rel), ins.bind(3, info.items), ins.bind(4, info.videos);
  ins.bind(5, info.summary.dump()), ins.bind(6, info.created_ms);
  ins.exec();
  txn.commit();
  return find_snapshot(db, dir, info.id);
}

std::vector<SnapshotInfo> list_snapshots(core::Database& db, const core::DataDir& dir) {
  auto conn = db.connect();
  SQLite::Statement q(*conn, "SELECT id, manifest, items, videos, summary, created_ms FROM snapshots "
                             "ORDER BY created_ms DESC, id");
  std::vector<SnapshotInfo> out;
  while (q.executeStep()) out.push_back(from_row(q, dir));
  return out;
}

SnapshotInfo find_snapshot(core::Database& db, const core::DataDir& dir, const std::string& ref) {
  if (ref.find('/') != std::string::npos || (ref.size() > 6 && ref.substr(ref.size() - 6) == ".jsonl")) {
    if (!std::filesystem::is_regular_file(ref)) throw NotFound("no manifest file " + ref);
    SnapshotInfo s;
    s.id = core::sha256_file(ref);
    s.manifest = std::filesystem::absolute(ref);
    const auto items = read_manifest(s.manifest);
    std::set<int64_t> videos;
    for (const auto& m : items) videos.insert(m.video);
    s.items = static_cast<int>(items.size());
    s.videos = static_cast<int>(videos.size());
    return s;
  }
  if (ref.empty()) throw InvalidInput("snapshot id is empty");
  auto conn = db.connect();
  SQLite::Statement q(*conn, "SELECT id, manifest, items, videos, summary, created_ms FROM snapshots "
                             "WHERE substr(id, 1, length(?1)) = ?1 LIMIT 2");
  q.bind(1, ref);
  std::vector<SnapshotInfo> found;
  while (q.executeStep()) found.push_back(from_row(q, dir));
  if (found.empty()) throw NotFound("no snapshot " + ref);
  if (found.size() > 1) throw InvalidInput("snapshot prefix " + ref + " is ambiguous");
  return found.front();
}

std::vector<ManifestItem> read_manifest(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw NotFound("cannot open manifest " + file.string());
  std::vector<ManifestItem> out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    try {
      out.push_back(ManifestItem::from_json(nlohmann::json::parse(line)));
    } catch (const std::exception& e) {
      throw InvalidInput(file.string() + " line " + std::to_string(number) + ": " + e.what());
    }
  }
  return out;
}

void export_csv(const std::vector<ManifestItem>& items, std::ostream& out) {
  // Crop paths are ours (no commas or quotes); sources and groups are validated names.
  out << "crop,sha256,label,source,split,group,video,track,frame,small,blurred\n";
  auto quoted = [](const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  for (const auto& m : items)
    out << quoted(m.crop) << ',' << m.sha256 << ',' << m.label << ',' << quoted(m.source) << ',' << m.split << ','
        << m.group << ',' << m.video << ',' << m.track << ',' << m.frame << ',' << (m.small ? 1 : 0) << ','
        << (m.blurred ? 1 : 0) << '\n';
}

nlohmann::json export_ffpp_pairs(core::Database& db, const std::vector<ManifestItem>& items) {
  std::map<int64_t, std::pair<std::string, std::string>> videos; // id -> (label, split)
  for (const auto& m : items) videos.emplace(m.video, std::make_pair(m.label, m.split));
  auto conn = db.connect();
  nlohmann::json out = {{"train", nlohmann::json::array()}, {"val", nlohmann::json::array()},
                        {"test", nlohmann::json::array()}};
  std::set<std::pair<std::string, nlohmann::json>> seen;
  for (const auto& [id, info] : videos) {
    if (info.first != "fake") continue;
    SQLite::Statement q(*conn, "SELECT COALESCE(external_id, '#' || id) FROM submissions WHERE id = ?");
    q.bind(1, id);
    const std::string self = q.executeStep() ? q.getColumn(0).getString() : "#" + std::to_string(id);
    SQLite::Statement r(*conn, "SELECT derived_from FROM submission_relations WHERE submission_id = ? ORDER BY rowid");
    r.bind(1, id);
    std::vector<std::string> from;
    while (r.executeStep()) from.push_back(r.getColumn(0).getString());
    nlohmann::json pair = from.size() >= 2 ? nlohmann::json{from[0], from[1]}
                          : from.size() == 1 ? nlohmann::json{from[0], self}
                                             : nlohmann::json{self, self};
    if (seen.emplace(info.second, pair).second) out[info.second].push_back(pair);
  }
  return out;
}

std::vector<MemberCount> member_counts(SQLite::Database& conn) {
  std::vector<MemberCount> out;
  for (const char* table : {"submissions", "dataset_videos", "review_items", "faces"})
    if (!conn.tableExists(table)) return out;
  SQLite::Statement q(conn, std::string("SELECT s.source, d.split, SUM(r.label = 'real'), SUM(r.label = 'fake') FROM "
                                        "submissions s ") +
                                kMembers + " AND EXISTS (SELECT 1 FROM faces f WHERE f.video_id = s.id) GROUP BY 1, 2 "
                                           "ORDER BY 1, 2");
  while (q.executeStep())
    out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt(), q.getColumn(3).getInt()});
  return out;
}

} // namespace curator::dataset
