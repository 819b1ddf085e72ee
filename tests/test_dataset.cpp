// Identity grouping: single linkage against brute force, average linkage against a naive reference and
// against its own LSH path, chains that must not become one person, declared links, determinism.
#include "core/error.hpp"
#include "dataset/identity_grouping.hpp"
#include "ingest/submission.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

using namespace curator;

namespace {

// Unit-length points: `clusters` people at random directions, `per_cluster` tracks each.
std::vector<dataset::Vec128> clustered(size_t clusters, size_t per_cluster, unsigned seed, float spread) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> centre(0, 0.1f), noise(0, spread);
  std::vector<dataset::Vec128> out;
  for (size_t c = 0; c < clusters; ++c) {
    dataset::Vec128 mid;
    for (auto& x : mid) x = centre(rng);
    for (size_t k = 0; k < per_cluster; ++k) {
      dataset::Vec128 p = mid;
      for (auto& x : p) x += noise(rng);
      out.push_back(dataset::unit_length(p));
    }
  }
  return out;
}

float distance(const dataset::Vec128& a, const dataset::Vec128& b) {
  double s = 0;
  for (int k = 0; k < 128; ++k) s += double(a[k] - b[k]) * (a[k] - b[k]);
  return static_cast<float>(std::sqrt(s));
}

// Canonical form: for each point, the smallest index in its group.
std::vector<size_t> canonical(const std::vector<int>& group) {
  std::map<int, size_t> first;
  std::vector<size_t> out;
  for (size_t i = 0; i < group.size(); ++i) out.push_back(first.emplace(group[i], i).first->second);
  return out;
}

// Textbook average linkage on the full distance matrix (distances capped at the cutoff, as documented):
// repeatedly merge the two clusters with the smallest mean cross distance while it is under the threshold.
std::vector<int> naive_average(const std::vector<dataset::Vec128>& v, float threshold) {
  const float cutoff = dataset::kCutoffFactor * threshold;
  std::vector<std::vector<size_t>> clusters;
  for (size_t i = 0; i < v.size(); ++i) clusters.push_back({i});
  for (;;) {
    double best = 1e30;
    size_t ba = 0, bb = 0;
    for (size_t a = 0; a < clusters.size(); ++a)
      for (size_t b = a + 1; b < clusters.size(); ++b) {
        double sum = 0;
        for (size_t i : clusters[a])
          for (size_t j : clusters[b]) sum += std::min(distance(v[i], v[j]), cutoff);
        const double mean = sum / double(clusters[a].size() * clusters[b].size());
        if (mean < best) best = mean, ba = a, bb = b;
      }
    if (best >= threshold) break;
    clusters[ba].insert(clusters[ba].end(), clusters[bb].begin(), clusters[bb].end());
    clusters.erase(clusters.begin() + static_cast<long>(bb));
  }
  std::vector<int> group(v.size());
  for (size_t c = 0; c < clusters.size(); ++c)
    for (size_t i : clusters[c]) group[i] = static_cast<int>(c);
  return group;
}

// Points on a great circle, each `step` (chord) from the next: a chain.
std::vector<dataset::Vec128> chain(int n, float step) {
  const double angle = 2 * std::asin(step / 2);
  std::vector<dataset::Vec128> out;
  for (int k = 0; k < n; ++k) {
    dataset::Vec128 p{};
    p[0] = static_cast<float>(std::cos(k * angle));
    p[1] = static_cast<float>(std::sin(k * angle));
    out.push_back(p);
  }
  return out;
}

} // namespace

TEST_CASE("single linkage past the exact limit equals brute-force single linkage", "[dataset]") {
  auto points = clustered(400, 10, 1, 0.016f);
  REQUIRE(points.size() > dataset::kExactLimit);
  const dataset::GroupingOptions options{0.36f, dataset::Linkage::single};
  auto fast = dataset::group_identities(points, options);
  dataset::DisjointSets brute(points.size());
  for (size_t i = 0; i < points.size(); ++i)
    for (size_t j = i + 1; j < points.size(); ++j)
      if (distance(points[i], points[j]) < options.threshold) brute.unite(i, j);
  std::vector<int> brute_group(points.size());
  for (size_t i = 0; i < points.size(); ++i) brute_group[i] = static_cast<int>(brute.find(i));
  CHECK(canonical(fast.group) == canonical(brute_group));
  const uint64_t all_pairs = points.size() * (points.size() - 1) / 2;
  INFO("distance checks " << fast.distance_checks << " of " << all_pairs);
  CHECK(fast.distance_checks < all_pairs / 20);
}

TEST_CASE("average linkage equals the textbook algorithm", "[dataset]") {
  // Loose clusters that overlap a little, so merges are decided by averages, not by obvious gaps.
  for (unsigned seed : {3u, 4u, 5u}) {
    auto points = clustered(12, 8, seed, 0.022f);
    const dataset::GroupingOptions options{0.36f, dataset::Linkage::average};
    const auto fast = dataset::group_identities(points, options);
    const auto reference = naive_average(points, options.threshold);
    INFO("seed " << seed);
    CHECK(canonical(fast.group) == canonical(reference));
    CHECK(fast.groups == static_cast<int>(std::set<int>(reference.begin(), reference.end()).size()));
    // The forest: one edge per merge.
    CHECK(fast.edges.size() == points.size() - static_cast<size_t>(fast.groups));
  }
}

TEST_CASE("average linkage finds the same groups through LSH as through all pairs", "[dataset]") {
  auto points = clustered(150, 8, 11, 0.016f);
  dataset::GroupingOptions exact{0.36f, dataset::Linkage::average};
  dataset::GroupingOptions lsh = exact;
  lsh.exact_limit = 100; // force the LSH path on 1200 points
  const auto a = dataset::group_identities(points, exact);
  const auto b = dataset::group_identities(points, lsh);
  CHECK(a.groups == 150);
  CHECK(canonical(a.group) == canonical(b.group));
  CHECK(b.distance_checks < a.distance_checks / 4);
}

TEST_CASE("a chain of close pairs is one person only under single linkage", "[dataset]") {
  // 30 points, each 0.8 x threshold from the next; the ends are far apart.
  const float t = 0.36f;
  const auto points = chain(30, 0.8f * t);
  REQUIRE(distance(points.front(), points.back()) > 4 * t);
  const auto single = dataset::group_identities(points, {t, dataset::Linkage::single});
  CHECK(single.groups == 1);
  const auto average = dataset::group_identities(points, {t, dataset::Linkage::average});
  CHECK(average.group.front() != average.group.back());
  std::map<int, int> sizes;
  for (int g : average.group) ++sizes[g];
  int largest = 0;
  for (const auto& [g, n] : sizes) largest = std::max(largest, n);
  INFO("average linkage groups " << average.groups << ", largest " << largest);
  CHECK(largest <= 4); // a group's mean internal distance stays under the threshold
}

TEST_CASE("a thin chain of odd tracks does not join two people under average linkage", "[dataset]") {
  // Two people of 10 tracks each, and seven odd tracks (misdetections, blends) on the way between them.
  auto points = clustered(2, 10, 21, 0.016f);
  for (float f : {0.125f, 0.25f, 0.375f, 0.5f, 0.625f, 0.75f, 0.875f}) {
    dataset::Vec128 p;
    for (int k = 0; k < 128; ++k) p[k] = (1 - f) * points[0][k] + f * points[10][k];
    points.push_back(dataset::unit_length(p));
  }
  const float t = 0.36f;
  for (size_t i = 20; i + 1 < points.size(); ++i) REQUIRE(distance(points[i], points[i + 1]) < t);
  CHECK(dataset::group_identities(points, {t, dataset::Linkage::single}).groups == 1);
  const auto average = dataset::group_identities(points, {t, dataset::Linkage::average});
  CHECK(average.group[0] != average.group[10]);
}

TEST_CASE("declared links join groups whatever the distance", "[dataset]") {
  auto points = clustered(3, 2, 5, 0.016f);
  for (auto linkage : {dataset::Linkage::single, dataset::Linkage::average}) {
    const dataset::GroupingOptions options{0.36f, linkage};
    auto plain = dataset::group_identities(points, options);
    CHECK(plain.groups == 3);
    auto linked = dataset::group_identities(points, options, {{0, 4}});
    CHECK(linked.groups == 2);
    CHECK(linked.group[0] == linked.group[4]);
    CHECK(linked.group[1] == linked.group[5]);
    CHECK(dataset::group_identities({}, options).groups == 0);
  }
}

TEST_CASE("linkage names parse and print", "[dataset]") {
  CHECK(dataset::parse_linkage("average") == dataset::Linkage::average);
  CHECK(dataset::parse_linkage("single") == dataset::Linkage::single);
  CHECK(std::string(dataset::linkage_name(dataset::Linkage::average)) == "average");
  CHECK_THROWS(dataset::parse_linkage("complete"));
}

TEST_CASE("'all' is refused as a source name: it names every source together", "[dataset]") {
  ingest::SubmissionMeta meta;
  meta.source = "ffpp";
  CHECK_NOTHROW(meta.validate());
  for (const char* name : {"all", "ALL", "All"}) {
    meta.source = name;
    CHECK_THROWS_AS(meta.validate(), InvalidInput);
  }
  meta.source = "all-sources"; // only the exact word is reserved
  CHECK_NOTHROW(meta.validate());
}

TEST_CASE("file names lose bidirectional overrides and control characters", "[dataset]") {
  CHECK(ingest::display_name("evil\xE2\x80\xAEgpj.mp4") == "evilgpj.mp4");
  CHECK(ingest::display_name("a\xE2\x81\xA6" "b\xE2\x81\xA9.mp4") == "ab.mp4");
  CHECK(ingest::display_name("dir/tab\there.mp4") == "tab?here.mp4");
  CHECK(ingest::display_name("caf\xC3\xA9 \xE2\x80\x94 ok.mp4") == "caf\xC3\xA9 \xE2\x80\x94 ok.mp4"); // other text stays
}
