#pragma once
//! The dataset in the database. `refresh_splits` loads every done video (tracks, declared relations,
//! near-duplicate footage), plans with split_planner.hpp and applies the plan in one transaction: new
//! splits, group keys, quarantines. Planning runs outside the write lock; a refresh that finds another
//! plan applied meanwhile (dataset_state.generation) plans again, so concurrent refreshes are safe.
//! Splits never move: the schema's triggers refuse it. Thread-safe (every call uses its own connection).
#include "dataset/split_planner.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace curator::core {
class Clock;
class Config;
class Database;
} // namespace curator::core

namespace curator::dataset {

struct DatasetSettings {
  GroupingOptions grouping; // dataset.group_threshold, dataset.group_linkage
  int bridge_min_videos = 3; // dataset.bridge_min_videos
  double max_unit_share = 0.1; // dataset.max_unit_share
  double suspect_distance = 0.45; // dataset.suspect_distance (the audit's independent check)
  double test_fraction = 1.0 / 6;
  double val_fraction = 0.1;
  int near_duplicate_bits = 6; ///< mean dHash bits per frame under which two videos are one footage
  static DatasetSettings from_config(const core::Config& config);
};

struct RefreshSummary {
  int videos = 0, tracks = 0, units = 0, identity_groups = 0, rounds = 0;
  UnitSize largest_unit; ///< videos, people and sources of the largest split unit
  int assigned_now = 0; ///< videos that got a split in this refresh (rule + official + inherited)
  int by_rule = 0, by_official = 0, inherited = 0;
  int quarantined = 0, excluded = 0, conflicts = 0;
  int relation_links = 0, duplicate_links = 0;
  int64_t generation = 0;
  double seconds = 0;
  nlohmann::json to_json() const;
};

RefreshSummary refresh_splits(core::Database& db, const core::Clock& clock, const DatasetSettings& settings);

/// Takes a video out of the dataset for good (an admin's answer to a quarantine, or unusable footage).
/// It keeps any split it had, so nothing moves. Throws NotFound for an unknown or unfinished submission.
void exclude_video(core::Database& db, const core::Clock& clock, int64_t submission_id, const std::string& reason);

} // namespace curator::dataset
