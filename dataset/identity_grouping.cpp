#include "dataset/identity_grouping.hpp"

#include <opencv2/core.hpp>

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

// LSH parameters for face-api distances (threshold ~0.5-0.6): bucket width 2 x threshold, 9 hashes a
// key, 64 tables. Chosen on clustered synthetic data (bench/grouping_bench.cpp): the exact partition at
// 10k, 30k and 100k tracks while measuring 0.33% of all pairs. A missed link could leak a person across
// splits, so recall wins over speed here: 8 x 48 is 20% faster but splits 1-2 groups per 10k.
constexpr int kHashes = 9;
constexpr int kTables = 64;
constexpr float kWidthFactor = 2.0f;

// Eight independent partial sums: the compiler keeps them in SIMD lanes (a single running sum would
// force one add at a time without -ffast-math). Measured: grouping 100k tracks 2.7 s -> 2.2 s.
float squared_distance(const Vec128& a, const Vec128& b) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 128; i += 8)
    for (int k = 0; k < 8; ++k) {
      const float d = a[i + k] - b[i + k];
      acc[k] += d * d;
    }
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

void join_if_close(const std::vector<Vec128>& v, size_t i, size_t j, float t2, DisjointSets& sets, Grouping& out) {
  if (sets.find(i) == sets.find(j)) return; // already one group: nothing to learn
  ++out.distance_checks;
  if (squared_distance(v[i], v[j]) < t2 && sets.unite(i, j))
    out.edges.emplace_back(static_cast<uint32_t>(i), static_cast<uint32_t>(j));
}

void lsh_candidates(const std::vector<Vec128>& v, float threshold, DisjointSets& sets, Grouping& out) {
  const size_t n = v.size();
  const float w = kWidthFactor * threshold, t2 = threshold * threshold;
  // All tables' projections at once: (tables * hashes) x 128 times 128 x n, one matrix multiply.
  std::mt19937 rng(20261125);
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> offset(0, w);
  cv::Mat a(kTables * kHashes, 128, CV_32F), b(kTables * kHashes, 1, CV_32F);
  for (int r = 0; r < a.rows; ++r) {
    for (int c = 0; c < 128; ++c) a.at<float>(r, c) = normal(rng);
    b.at<float>(r) = offset(rng);
  }
  const cv::Mat points(static_cast<int>(n), 128, CV_32F, const_cast<float*>(v[0].data()));
  cv::Mat projected; // (tables * hashes) x n
  cv::gemm(a, points, 1.0, cv::Mat(), 0.0, projected, cv::GEMM_2_T);
  std::vector<std::pair<uint64_t, uint32_t>> keys(n);
  for (int table = 0; table < kTables; ++table) {
    for (size_t i = 0; i < n; ++i) keys[i] = {1469598103934665603ull, static_cast<uint32_t>(i)};
    for (int h = 0; h < kHashes; ++h) {
      const int row = table * kHashes + h;
      const float* p = projected.ptr<float>(row);
      const float shift = b.at<float>(row);
      for (size_t i = 0; i < n; ++i) {
        const auto bucket = static_cast<int64_t>(std::floor((p[i] + shift) / w));
        keys[i].first = (keys[i].first ^ static_cast<uint64_t>(bucket)) * 1099511628211ull;
      }
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
