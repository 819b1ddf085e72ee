// Identity grouping: exact against brute force, declared links, determinism.
#include "dataset/identity_grouping.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <random>

using namespace curator;

namespace {

std::vector<dataset::Vec128> clustered(size_t clusters, size_t per_cluster, unsigned seed, float spread = 0.02f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> centre(0, 0.1f), noise(0, spread);
  std::vector<dataset::Vec128> out;
  for (size_t c = 0; c < clusters; ++c) {
    dataset::Vec128 mid;
    for (auto& x : mid) x = centre(rng);
    for (size_t k = 0; k < per_cluster; ++k) {
      dataset::Vec128 p = mid;
      for (auto& x : p) x += noise(rng);
      out.push_back(p);
    }
  }
  return out;
}

// Canonical form: for each point, the smallest index in its group.
std::vector<size_t> canonical(const std::vector<int>& group) {
  std::map<int, size_t> first;
  std::vector<size_t> out;
  for (size_t i = 0; i < group.size(); ++i) out.push_back(first.emplace(group[i], i).first->second);
  return out;
}

} // namespace

TEST_CASE("grouping past the exact limit equals brute-force single linkage", "[dataset]") {
  // Clusters of 1..19 tracks (like people in videos) plus some loose points; spread so that pairs
  // inside a group are at 0.25-0.45, close to the threshold.
  auto points = clustered(400, 10, 1, 0.03f);
  REQUIRE(points.size() > dataset::kExactLimit);
  const float t = 0.6f;
  auto fast = dataset::group_identities(points, t);
  dataset::DisjointSets brute(points.size());
  for (size_t i = 0; i < points.size(); ++i)
    for (size_t j = i + 1; j < points.size(); ++j) {
      float s = 0;
      for (int k = 0; k < 128; ++k) s += (points[i][k] - points[j][k]) * (points[i][k] - points[j][k]);
      if (s < t * t) brute.unite(i, j);
    }
  std::vector<int> brute_group(points.size());
  for (size_t i = 0; i < points.size(); ++i) brute_group[i] = static_cast<int>(brute.find(i));
  CHECK(canonical(fast.group) == canonical(brute_group));
  const uint64_t all_pairs = points.size() * (points.size() - 1) / 2;
  INFO("distance checks " << fast.distance_checks << " of " << all_pairs);
  CHECK(fast.distance_checks < all_pairs / 20);
}

TEST_CASE("declared links join groups whatever the distance", "[dataset]") {
  auto points = clustered(3, 2, 5);
  auto plain = dataset::group_identities(points, 0.6f);
  CHECK(plain.groups == 3);
  auto linked = dataset::group_identities(points, 0.6f, {{0, 4}});
  CHECK(linked.groups == 2);
  CHECK(linked.group[0] == linked.group[4]);
  CHECK(linked.group[1] == linked.group[5]);
  CHECK(dataset::group_identities({}, 0.6f).groups == 0);
}
