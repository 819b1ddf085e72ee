#pragma once
//! The non-face evidence that two videos belong together, shared by split planning and the leakage
//! audit: declared relations ("this fake derives from that video") and near-duplicate footage.
//! Pure or read-only; thread-safe given a connection per thread.
#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace curator::dataset {

/// (derived video, the video it derives from) as submission ids, among done submissions. A reference is
/// "#<submission id>" or an external id of the same source; references to videos not (yet) ingested are
/// skipped.
std::vector<std::pair<int64_t, int64_t>> resolved_relations(SQLite::Database& conn);

/// Index pairs (i < j) whose frame-hash sequences are equally long and at most `bits` apart on average.
/// All pairs: about a second for 10k videos.
std::vector<std::pair<uint32_t, uint32_t>> near_duplicate_pairs(const std::vector<std::vector<uint64_t>>& hashes,
                                                                int bits);

} // namespace curator::dataset
