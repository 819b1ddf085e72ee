#pragma once
//! Identity grouping: which face tracks show the same person.
//!
//! Tracks are compared by the Euclidean distance between their identity vectors (unit-length,
//! quality-weighted track means; see ingest/faces/identity.hpp), less the noise a mean over few faces
//! carries: a one-face track's vector sits further from its person's than a 32-face mean does, so the
//! squared distance of a pair is reduced by face_noise / faces of each side. Two rules join them:
//!  - `average` (the default): agglomerative average linkage. Two groups merge while the mean distance
//!    over all their cross pairs is under the threshold, so one close pair cannot chain two people
//!    together: a merge needs most of both groups to agree.
//!  - `single`: connected components of the pairs under the threshold. Chains different people into
//!    one group on large sets (kept for comparison and for old settings).
//! A mean under the threshold needs at least one pair under it, so average-linkage groups lie inside
//! the single-linkage components; average linkage runs inside each component. Pairs further apart than
//! `kCutoffFactor` x threshold count as exactly that far (a lower bound of their real distance, so a
//! merge can come a little earlier than with exact distances, never later).
//! Up to `exact_limit` points (per component, for average linkage) every pair is measured; past it,
//! candidate pairs come from Euclidean locality-sensitive hashing (p-stable random projections, several
//! tables): single linkage misses a link only if no pair of the two sides collides in any table, and a
//! pair missed inside a large component counts as the cutoff distance (the benchmark and the tests
//! compare with the exact result).
//! Deterministic (fixed seeds, ordered ties). Pure function; thread-safe.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace curator::dataset {

using Vec128 = std::array<float, 128>;

/// Unit-length copy (a zero vector stays zero): rows written before identity vectors were normalised
/// are made comparable on load.
Vec128 unit_length(const Vec128& v);

/// Union-find with path halving and union by size.
class DisjointSets {
public:
  explicit DisjointSets(size_t n);
  size_t find(size_t x);
  /// Returns true when a and b were in different sets.
  bool unite(size_t a, size_t b);

private:
  std::vector<size_t> parent_, size_;
};

enum class Linkage { single, average };
const char* linkage_name(Linkage linkage);
/// Throws curator::ConfigError for anything but "single" or "average".
Linkage parse_linkage(std::string_view text);

/// Up to this many points, grouping compares all pairs.
constexpr size_t kExactLimit = 3000;
/// Pairs further apart than this multiple of the threshold are not remembered (see above).
constexpr float kCutoffFactor = 2.0f;

struct GroupingOptions {
  float threshold = 0.31f; ///< dataset.group_threshold
  Linkage linkage = Linkage::average; ///< dataset.group_linkage
  float face_noise = 0.03f; ///< dataset.group_face_noise (callers turn it into per-point noise)
  size_t exact_limit = kExactLimit; ///< above this many points, candidates come from LSH (tests lower it)
};

struct Grouping {
  std::vector<int> group;   ///< group of each input, numbered 0.. by first member
  int groups = 0;
  uint64_t distance_checks = 0; ///< exact 128-d comparisons made (vs n(n-1)/2 for all pairs)
  /// One measured pair per merge (for average linkage the closest pair between the two merged groups):
  /// a spanning forest of every group. Any group holding points of two colours has an edge whose ends
  /// differ in colour, which is how callers find what joined them (declared links are not listed).
  std::vector<std::pair<uint32_t, uint32_t>> edges;
};

/// `links` are index pairs that belong together whatever their distance (applied after grouping).
/// `noise` (empty, or one value per point) is each point's expected squared distance from its person's
/// true identity vector (see track_noise); a pair is compared by d^2 - noise_a - noise_b, so a single
/// photo or a short track is not held to the standard of a 32-face track mean.
Grouping group_identities(const std::vector<Vec128>& embeddings, const GroupingOptions& options,
                          const std::vector<std::pair<size_t, size_t>>& links = {},
                          const std::vector<float>& noise = {});

/// The noise of a track mean over `faces` faces: `face_noise` / faces (dataset.group_face_noise).
inline float track_noise(float face_noise, int faces) { return faces > 0 ? face_noise / float(faces) : face_noise; }

} // namespace curator::dataset
