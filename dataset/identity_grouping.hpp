#pragma once
//! Identity grouping: embeddings closer than a threshold are the same person, and "same person" is
//! transitive (single linkage), so groups are the connected components of the threshold graph plus any
//! declared links (a fake and the videos it derives from). Up to `kExactLimit` points every pair is
//! measured (exact). Past that, candidate pairs come from Euclidean locality-sensitive hashing (p-stable
//! random projections, several tables) and only candidates are measured, then joined by union-find: a
//! pair under the threshold is missed only if it collides in no table, and single linkage usually
//! recovers it through the group's other members (the benchmark and the tests compare with the exact
//! partition).
//! Deterministic (fixed seeds). Pure function; thread-safe.
#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace curator::dataset {

using Vec128 = std::array<float, 128>;

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

struct Grouping {
  std::vector<int> group;   ///< group of each input, numbered 0.. by first member
  int groups = 0;
  uint64_t distance_checks = 0; ///< exact 128-d comparisons made (vs n(n-1)/2 for all pairs)
  /// The measured pairs (closer than the threshold) that joined two groups: a spanning forest of the
  /// threshold graph. Any group holding points of two colours has an edge whose ends differ in colour,
  /// which is how callers find the pair that bridges (declared links are not listed).
  std::vector<std::pair<uint32_t, uint32_t>> edges;
};

/// Up to this many points, grouping compares all pairs.
constexpr size_t kExactLimit = 3000;

/// `links` are index pairs that belong together whatever their distance.
Grouping group_identities(const std::vector<Vec128>& embeddings, float threshold,
                          const std::vector<std::pair<size_t, size_t>>& links = {});

} // namespace curator::dataset
