#pragma once
//! Per-source evaluation sets: how many real and fake videos and faces each source has in each split,
//! how many of them people confirmed, and what is held back (quarantined, excluded, not yet planned).
//! Read-only; thread-safe.
#include <nlohmann/json.hpp>

namespace curator::core {
class Database;
}

namespace curator::dataset {

/// {"sources": [{source, split, real_videos, fake_videos, unknown_videos, real_faces, fake_faces,
///  unknown_faces, confirmed_videos}], "unassigned", "excluded", "quarantined": [{submission, reason}],
///  "generation", "latest_snapshot"}. A video counts under its confirmed label once confirmed, else
/// under its claimed one.
nlohmann::json dataset_stats(core::Database& db);

/// The same table as aligned text, for the CLI.
std::string format_stats(const nlohmann::json& stats);

} // namespace curator::dataset
