#include "dataset/identity_grouping.hpp"

#include "core/error.hpp"
#include "ingest/faces/identity.hpp"

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <queue>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unordered_map>

namespace curator::dataset {

Vec128 unit_length(const Vec128& v) { return faces::unit_embedding(v); }

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

const char* linkage_name(Linkage linkage) { return linkage == Linkage::single ? "single" : "average"; }

Linkage parse_linkage(std::string_view text) {
  if (text == "single") return Linkage::single;
  if (text == "average") return Linkage::average;
  throw ConfigError("unknown grouping linkage '" + std::string(text) + "' (single or average)");
}

namespace {

// LSH parameters: bucket width 2 x threshold, 9 hashes a key, 64 tables. Chosen on clustered synthetic
// data (bench/grouping_bench.cpp): the exact partition at 10k, 30k and 100k tracks. A missed pair could
// leak a person across splits, so recall wins over speed here.
constexpr int kHashes = 9;
constexpr int kTables = 64;
constexpr float kWidthFactor = 2.0f;

// Eight independent partial sums: the compiler keeps them in SIMD lanes (a single running sum would
// force one add at a time without -ffast-math).
float squared_distance(const Vec128& a, const Vec128& b) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 128; i += 8)
    for (int k = 0; k < 8; ++k) {
      const float d = a[i + k] - b[i + k];
      acc[k] += d * d;
    }
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// Pair distances with the per-point noise taken out: d^2 - (noise_i + noise_j), never below 0.
struct Metric {
  const std::vector<Vec128>& v;
  const std::vector<float>& noise; // empty: none
  float d2(size_t i, size_t j) const {
    const float raw = squared_distance(v[i], v[j]);
    return noise.empty() ? raw : std::max(0.0f, raw - noise[i] - noise[j]);
  }
  // The largest raw distance that can still come out under `t`.
  float widest(float t) const {
    const float most = noise.empty() ? 0.0f : 2 * *std::max_element(noise.begin(), noise.end());
    return std::sqrt(t * t + most);
  }
};

// Calls visit(i, j) for every pair that shares an LSH bucket in some table (a pair may come more than once).
void lsh_pairs(const std::vector<Vec128>& v, float width, const std::function<void(uint32_t, uint32_t)>& visit) {
  const size_t n = v.size();
  // All tables' projections at once: (tables * hashes) x 128 times 128 x n, one matrix multiply.
  std::mt19937 rng(20261125);
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> offset(0, width);
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
        const auto bucket = static_cast<int64_t>(std::floor((p[i] + shift) / width));
        keys[i].first = (keys[i].first ^ static_cast<uint64_t>(bucket)) * 1099511628211ull;
      }
    }
    // Equal keys are neighbours after sorting; every pair inside a bucket is a candidate.
    std::sort(keys.begin(), keys.end());
    for (size_t lo = 0; lo < n;) {
      size_t hi = lo + 1;
      while (hi < n && keys[hi].first == keys[lo].first) ++hi;
      for (size_t x = lo; x < hi; ++x)
        for (size_t y = x + 1; y < hi; ++y) visit(keys[x].second, keys[y].second);
      lo = hi;
    }
  }
}

// Single linkage: union-find over pairs under the threshold; pairs already in one set are not measured.
void single_linkage(const Metric& m, float threshold, size_t exact_limit, DisjointSets& sets, Grouping& out) {
  const float t2 = threshold * threshold;
  auto join_if_close = [&](size_t i, size_t j) {
    if (sets.find(i) == sets.find(j)) return; // already one group: nothing to learn
    ++out.distance_checks;
    if (m.d2(i, j) < t2 && sets.unite(i, j)) out.edges.emplace_back(static_cast<uint32_t>(i), static_cast<uint32_t>(j));
  };
  const size_t n = m.v.size();
  if (n <= exact_limit) {
    for (size_t i = 0; i < n; ++i)
      for (size_t j = i + 1; j < n; ++j) join_if_close(i, j);
  } else {
    lsh_pairs(m.v, kWidthFactor * m.widest(threshold), join_if_close);
  }
}

struct Close {
  uint32_t a, b;
  float d;
};

// Every pair of `members` closer than `cutoff`, each once: all pairs up to `exact_limit` members, else
// the pairs that share an LSH bucket.
void close_pairs(const Metric& m, const std::vector<uint32_t>& members, float cutoff, float bucket_width,
                 size_t exact_limit, std::vector<Close>& pairs, Grouping& out) {
  const float c2 = cutoff * cutoff;
  if (members.size() <= exact_limit) {
    for (size_t x = 0; x < members.size(); ++x)
      for (size_t y = x + 1; y < members.size(); ++y) {
        const uint32_t i = members[x], j = members[y];
        ++out.distance_checks;
        const float d2 = m.d2(i, j);
        if (d2 < c2) pairs.push_back({i, j, std::sqrt(d2)});
      }
    return;
  }
  std::vector<Vec128> subset;
  for (uint32_t i : members) subset.push_back(m.v[i]);
  // A pair meets again in other tables: remember the close ones per point to measure each once.
  std::vector<std::vector<uint32_t>> known(subset.size());
  lsh_pairs(subset, bucket_width, [&](uint32_t x, uint32_t y) {
    if (x > y) std::swap(x, y);
    const auto& kx = known[x];
    if (std::find(kx.begin(), kx.end(), y) != kx.end()) return;
    ++out.distance_checks;
    const float d2 = m.d2(members[x], members[y]);
    if (d2 >= c2) return;
    known[x].push_back(y);
    pairs.push_back({members[x], members[y], std::sqrt(d2)});
  });
}

// Sparse average linkage. A cluster keeps, per neighbouring cluster, the sum and count of the measured
// distances between them and their closest measured pair; unmeasured pairs count as `cutoff`.
class AverageLinkage {
public:
  AverageLinkage(size_t n, float cutoff) : cutoff_(cutoff), size_(n, 1), version_(n, 0), alive_(n, 1), adj_(n) {}

  void add(const Close& p) {
    Link& l = adj_[p.a][p.b];
    l.sum += p.d;
    l.count += 1;
    if (p.d < l.closest) l.closest = p.d, l.u = p.a, l.v = p.b;
    adj_[p.b][p.a] = l;
  }

  void run(float threshold, DisjointSets& sets, Grouping& out) {
    for (uint32_t a = 0; a < adj_.size(); ++a)
      for (const auto& [b, l] : adj_[a])
        if (a < b) push(a, b, l);
    while (!heap_.empty()) {
      const auto [value, a, b, va, vb] = heap_.top();
      heap_.pop();
      if (!alive_[a] || !alive_[b] || version_[a] != va || version_[b] != vb) continue; // stale
      if (value >= threshold) break;
      const Link joined = adj_[a].at(b);
      out.edges.emplace_back(joined.u, joined.v);
      sets.unite(joined.u, joined.v);
      merge(a, b);
    }
  }

private:
  struct Link {
    double sum = 0;
    uint64_t count = 0;
    float closest = 1e30f;
    uint32_t u = 0, v = 0;
  };
  using Entry = std::tuple<double, uint32_t, uint32_t, uint32_t, uint32_t>; // value, a, b, versions

  double value(uint32_t a, uint32_t b, const Link& l) const {
    const double pairs = double(size_[a]) * size_[b];
    return (l.sum + (pairs - double(l.count)) * cutoff_) / pairs;
  }
  void push(uint32_t a, uint32_t b, const Link& l) {
    if (a > b) std::swap(a, b);
    heap_.emplace(value(a, b, l), a, b, version_[a], version_[b]);
  }

  // The larger cluster absorbs the smaller one's links; both keep their index as a name.
  void merge(uint32_t a, uint32_t b) {
    if (adj_[a].size() < adj_[b].size()) std::swap(a, b);
    adj_[a].erase(b);
    adj_[b].erase(a);
    for (const auto& [c, l] : adj_[b]) {
      Link& m = adj_[a][c];
      m.sum += l.sum;
      m.count += l.count;
      if (l.closest < m.closest) m.closest = l.closest, m.u = l.u, m.v = l.v;
      adj_[c].erase(b);
      adj_[c][a] = m;
    }
    adj_[b].clear();
    alive_[b] = 0;
    size_[a] += size_[b];
    ++version_[a];
    for (const auto& [c, l] : adj_[a]) push(a, c, l);
  }

  float cutoff_;
  std::vector<uint64_t> size_;
  std::vector<uint32_t> version_;
  std::vector<char> alive_;
  std::vector<std::unordered_map<uint32_t, Link>> adj_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
};

} // namespace

Grouping group_identities(const std::vector<Vec128>& v, const GroupingOptions& options,
                          const std::vector<std::pair<size_t, size_t>>& links, const std::vector<float>& noise) {
  if (!noise.empty() && noise.size() != v.size()) throw std::invalid_argument("one noise value per point expected");
  Grouping out;
  const size_t n = v.size();
  DisjointSets sets(n);
  const Metric m{v, noise};
  if (options.threshold > 0 && n > 1) {
    if (options.linkage == Linkage::single) {
      single_linkage(m, options.threshold, options.exact_limit, sets, out);
    } else {
      // A mean under the threshold needs some pair under it, so average-linkage groups lie inside the
      // single-linkage components: measure pairs inside each component only.
      DisjointSets components(n);
      Grouping chains;
      single_linkage(m, options.threshold, options.exact_limit, components, chains);
      out.distance_checks += chains.distance_checks;
      std::unordered_map<size_t, std::vector<uint32_t>> members;
      for (uint32_t i = 0; i < n; ++i) members[components.find(i)].push_back(i);
      const float cutoff = kCutoffFactor * options.threshold;
      std::vector<Close> pairs;
      for (const auto& [root, list] : members)
        if (list.size() > 1)
          close_pairs(m, list, cutoff, kWidthFactor * m.widest(options.threshold), options.exact_limit, pairs, out);
      std::sort(pairs.begin(), pairs.end(), [](const Close& a, const Close& b) {
        return std::tie(a.a, a.b) < std::tie(b.a, b.b); // the same order whatever the hash map's order
      });
      AverageLinkage agglomeration(n, cutoff);
      for (const auto& p : pairs) agglomeration.add(p);
      agglomeration.run(options.threshold, sets, out);
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
