#pragma once
//! Per-source evaluation sets: how many real and fake videos and faces each source has in each split,
//! how many of them people confirmed, and what is held back (quarantined, excluded, not yet planned).
//! Read-only; thread-safe.
#include "core/database.hpp"

#include <nlohmann/json.hpp>

namespace curator::dataset {

/// {"sources": [{source, split, real_videos, fake_videos, unknown_videos, real_faces, fake_faces,
///  unknown_faces, confirmed_videos}], "unassigned", "excluded", "quarantined": [{submission, reason}],
///  "conflicts": [{submission, split, group, reason}] (units with assigned videos in two splits: kept out
///  of snapshots, and no training until resolved),
///  "generation", "latest_snapshot",
///  "units": {units, videos, identity_groups, largest: [{group, videos, people, sources}], histogram,
///            largest_share, assigned_videos} (the last refresh's split units; null before any),
///  "test_targets": [{source, test_videos, videos, test_share, target, within_tolerance (+-30%), units,
///                    largest_unit_videos, why (when not within)}]}.
/// A video counts under its confirmed label once confirmed, else under its claimed one. `test_fraction`
/// is dataset.test_fraction, the target of the test share.
nlohmann::json dataset_stats(core::Database& db, double test_fraction = 1.0 / 6);

/// Videos held back from the dataset: [{submission, reason}], by submission.
nlohmann::json quarantined_videos(SQLite::Database& conn);

/// For the status report, on a database that may predate the tables: videos per split and state
/// (train, val, test, quarantined, excluded), snapshots and the latest snapshot's id.
nlohmann::json split_counts(SQLite::Database& conn);

/// The same table as aligned text, for the CLI.
std::string format_stats(const nlohmann::json& stats);

} // namespace curator::dataset
