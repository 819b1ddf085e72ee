#pragma once
//! The leakage audit of a snapshot: proof, from the data itself, that nothing the detector is tested
//! on was seen in training. Four checks, each against the database as it is now:
//!  - group_on_two_sides: one split unit (group) has videos in two splits;
//!  - close_tracks: two face tracks in different splits that the planner's identity grouping (the same
//!    identity vectors, distance and linkage) puts in one group;
//!  - near_duplicate_footage: two videos in different splits are the same footage (frame hashes);
//!  - derived_across: a fake and the video it derives from sit in different splits.
//! And one check independent of the planner's rule, which the four cannot see past: every pair of face
//! tracks in different splits closer than dataset.suspect_distance (plain distance between identity
//! vectors, all pairs, no linkage), nearest first, listed as suspects for a person to look at. Suspects
//! never block training.
//! Read-only; thread-safe.
#include "dataset/snapshot.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace curator::dataset {

struct Leak {
  std::string kind;     ///< one of the four names above
  std::string detail;   ///< a sentence naming the videos and splits
  nlohmann::json evidence;
};

struct AuditReport {
  std::string snapshot;
  int items = 0, videos = 0, tracks = 0;
  std::vector<Leak> leaks; ///< at most `kMaxListed` per kind; `counts` has the totals
  std::map<std::string, int> counts;
  std::vector<Leak> suspects; ///< kind "close_faces", nearest first, at most `kMaxListed`
  int suspect_count = 0;
  bool clean() const { return leaks.empty(); }
  nlohmann::json to_json() const;
  std::string to_text() const;
};

constexpr int kMaxListed = 20;

AuditReport audit_snapshot(core::Database& db, const std::string& snapshot_id, const std::vector<ManifestItem>& items,
                           const DatasetSettings& settings);

/// The split units whose assigned videos sit in two splits (planned under older settings, then found to
/// be one person, derivation or footage), one line each: "unit G: #12 (train), #34 (test)".
std::vector<std::string> conflicts(core::Database& db);

/// Before anything trains on a snapshot: throws curator::Conflict naming the check and the first leaks
/// when the snapshot's audit is not clean (`curator dataset audit ID` lists them all). Conflict units
/// (conflicts()) are kept out of snapshots and logged here as a warning: they never block training.
void require_no_leaks(core::Database& db, const std::string& snapshot_id, const std::vector<ManifestItem>& items,
                      const DatasetSettings& settings);

} // namespace curator::dataset
