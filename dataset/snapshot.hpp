#pragma once
//! Snapshots: the frozen, confirmed membership that training and evaluation read. A manifest is JSON
//! Lines, one face crop a line (crop path, crop sha256, label, source, split, group, video, track,
//! frame, quality flags), sorted, so the same membership always hashes to the same id; the id is the
//! sha256 of the manifest. Only videos that are assigned a split and whose review is confirmed enter,
//! with the confirmed label; quarantined videos and units whose assigned splits disagree (conflicts) never
//! do. Manifests are written once (atomically) and never change.
//! Thread-safe (each call uses its own connection); the returned values are plain data.
#include "dataset/dataset_store.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

namespace SQLite {
class Database;
}

namespace curator::core {
class DataDir;
}

namespace curator::dataset {

struct ManifestItem {
  std::string crop;   ///< path relative to the data folder
  std::string sha256; ///< of the crop file
  std::string label;  ///< confirmed: real or fake
  std::string source;
  std::string split;
  std::string group;
  int64_t video = 0; ///< submission id
  int track = 0;
  int frame = 0;
  bool small = false, blurred = false;
  /// The face's 68 landmarks in the crop, as shares of its side (x0, y0, x1, y1, ...; 136 values); empty
  /// when unknown (older snapshots). Lets training self-blend real crops.
  std::vector<float> landmarks;
  /// Submissions this video declares it derives from and that have crops in the same snapshot
  /// (a fake's originals), sorted.
  std::vector<int64_t> derived_from;
  /// Confirmed from the review queue's random intake (labeling/review_queue.hpp): the champion did not
  /// choose it, so test metrics on such items are not biased by the champion's mistakes.
  bool random_intake = false;

  nlohmann::json to_json() const;
  /// Throws InvalidInput naming the missing or mistyped field.
  static ManifestItem from_json(const nlohmann::json& j);
};

struct SnapshotInfo {
  std::string id;
  std::filesystem::path manifest; ///< absolute path
  int items = 0, videos = 0;
  nlohmann::json summary;         ///< settings and per-source, per-split counts
  int64_t created_ms = 0;
  nlohmann::json to_json() const;
};

/// Freezes the current confirmed membership (call refresh_splits first so new videos have splits).
/// The same membership gives the same id and file. Throws Conflict when nothing is confirmed yet.
SnapshotInfo create_snapshot(core::Database& db, const core::DataDir& dir, const core::Clock& clock,
                             const DatasetSettings& settings);

/// Videos a snapshot taken now would hold (face crops on disk aside), per source and split, by confirmed
/// label: what the promotion gate will count, as of the last split refresh.
struct MemberCount {
  std::string source, split;
  int real_videos = 0, fake_videos = 0;
};

/// By source, then split. Read-only; empty on a database that predates the tables.
std::vector<MemberCount> member_counts(SQLite::Database& conn);

std::vector<SnapshotInfo> list_snapshots(core::Database& db, const core::DataDir& dir);

/// By id, unique id prefix, or path of a manifest file (then `id` is the file's own hash). Throws NotFound.
SnapshotInfo find_snapshot(core::Database& db, const core::DataDir& dir, const std::string& ref);

/// Parses a manifest; throws InvalidInput naming the line of any malformed entry.
std::vector<ManifestItem> read_manifest(const std::filesystem::path& file);

/// One row per crop with a header line.
void export_csv(const std::vector<ManifestItem>& items, std::ostream& out);

/// FF++-style pairs per split ({"train": [[a, b], ...], "val": ..., "test": ...}): for every fake video,
/// [its source video, the fake] by external id when known (FF++ "000_003" gives ["000", "003"], as in
/// FF++'s own splits), else by "#<submission id>"; a fake without a declared source pairs with itself.
nlohmann::json export_ffpp_pairs(core::Database& db, const std::vector<ManifestItem>& items);

} // namespace curator::dataset
