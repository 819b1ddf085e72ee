#include "dataset/identity_grouping.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <unordered_map>

namespace curator::dataset {

DisjointSets::DisjointSets(size_t n) : parent_(n), size_(n, 1) {
  for (size_t i = 0; i < n; ++i) parent_[i] = i;
}

size_t DisjointSets::find(size_t x) {
  while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
  return x;
}

bool DisjointSets::unite(size_t a, size_t b) {
  a = find(a), b = find(b);
  if (a == b) return false;
  if (size_[a] < size_[b]) std::swap(a, b);
  parent_[b] = a;
  size_[a] += size_[b];
  return true;
}

namespace {

// LSH parameters for face-api distances (threshold ~0.6): bucket width 1.5 x threshold, 6 hashes a key,
// 32 tables. Chosen on clustered synthetic data (bench/grouping_bench.cpp): at 10k tracks this gives the
// exact partition while measuring 1.3% of all pairs; 8 hashes x 32 tables split one group of 959.
constexpr int kHashes = 6;
constexpr int kTables = 32;
constexpr float kWidthFactor = 1.5f;

float squared_distance(const Vec128& a, const Vec128& b) {
  float s = 0;
  for (int i = 0; i < 128; ++i) {
    const float d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

void join_if_close(const std::vector<Vec128>& v, size_t i, size_t j, float t2, DisjointSets& sets, Grouping& out) {
  if (sets.find(i) == sets.find(j)) return; // already one group: nothing to learn
  ++out.distance_checks;
  if (squared_distance(v[i], v[j]) < t2) sets.unite(i, j);
}

void lsh_candidates(const std::vector<Vec128>& v, float threshold, DisjointSets& sets, Grouping& out) {
  const size_t n = v.size();
  const float w = kWidthFactor * threshold, t2 = threshold * threshold;
  std::mt19937 rng(20261125);
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> offset(0, w);
  std::vector<float> a(static_cast<size_t>(kHashes) * 128);
  std::vector<float> b(kHashes);
  std::vector<std::pair<uint64_t, uint32_t>> keys(n);
  for (int table = 0; table < kTables; ++table) {
    for (auto& x : a) x = normal(rng);
    for (auto& x : b) x = offset(rng);
    for (size_t i = 0; i < n; ++i) {
      uint64_t key = 1469598103934665603ull;
      for (int h = 0; h < kHashes; ++h) {
        const float* row = &a[static_cast<size_t>(h) * 128];
        float dot = 0;
        for (int k = 0; k < 128; ++k) dot += row[k] * v[i][k];
        const auto bucket = static_cast<int64_t>(std::floor((dot + b[h]) / w));
        key = (key ^ static_cast<uint64_t>(bucket)) * 1099511628211ull;
      }
      keys[i] = {key, static_cast<uint32_t>(i)};
    }
    // Equal keys are neighbours after sorting; every pair inside a bucket is a candidate.
    std::sort(keys.begin(), keys.end());
    for (size_t lo = 0; lo < n;) {
      size_t hi = lo + 1;
      while (hi < n && keys[hi].first == keys[lo].first) ++hi;
      for (size_t x = lo; x < hi; ++x)
        for (size_t y = x + 1; y < hi; ++y) join_if_close(v, keys[x].second, keys[y].second, t2, sets, out);
      lo = hi;
    }
  }
}

} // namespace

Grouping group_identities(const std::vector<Vec128>& v, float threshold,
                          const std::vector<std::pair<size_t, size_t>>& links) {
  Grouping out;
  const size_t n = v.size();
  DisjointSets sets(n);
  if (threshold > 0) {
    if (n <= kExactLimit) {
      const float t2 = threshold * threshold;
      for (size_t i = 0; i < n; ++i)
        for (size_t j = i + 1; j < n; ++j) join_if_close(v, i, j, t2, sets, out);
    } else {
      lsh_candidates(v, threshold, sets, out);
    }
  }
  for (const auto& [a, b] : links)
    if (a < n && b < n) sets.unite(a, b);
  std::unordered_map<size_t, int> number;
  out.group.resize(n);
  for (size_t i = 0; i < n; ++i) {
    auto [it, added] = number.emplace(sets.find(i), static_cast<int>(number.size()));
    out.group[i] = it->second;
  }
  out.groups = static_cast<int>(number.size());
  return out;
}

} // namespace curator::dataset
