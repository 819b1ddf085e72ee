// Identity grouping of synthetic clustered track embeddings at 10k, 30k and 100k: time, exact distance
// checks made (against all pairs) and peak memory; then the whole split assignment (plan_splits:
// grouping, video units, relations, stratified splits) of the same tracks cut into videos.
//   curator_bench_grouping [MAX_N]
#include "dataset/identity_grouping.hpp"
#include "dataset/split_planner.hpp"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

using namespace curator;

namespace {

// Unit-length identity vectors like ingest's: people at random directions, a person's tracks about
// 0.25 apart (face-api tracks of one person measured 0.15-0.30 on shared/data).
std::vector<dataset::Vec128> clustered(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> centre(0, 0.1f), noise(0, 0.0016f * 10);
  std::uniform_int_distribution<int> size(1, 19); // tracks per person: 1..19, mean 10
  std::vector<dataset::Vec128> out;
  out.reserve(n);
  while (out.size() < n) {
    dataset::Vec128 mid;
    for (auto& x : mid) x = centre(rng);
    for (int k = size(rng); k > 0 && out.size() < n; --k) {
      dataset::Vec128 p = mid;
      for (auto& x : p) x += noise(rng);
      out.push_back(dataset::unit_length(p));
    }
  }
  return out;
}

long peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

// Videos of 1-3 tracks cut from each person's tracks; every fifth video declares a relation to the
// previous one (a fake and its original), as imports do.
dataset::PlanInput as_videos(const std::vector<dataset::Vec128>& points) {
  dataset::PlanInput in;
  std::mt19937 rng(9);
  std::uniform_int_distribution<int> tracks_per_video(1, 3);
  for (size_t i = 0; i < points.size();) {
    dataset::VideoNode v;
    v.key = "video" + std::to_string(in.videos.size());
    v.source = in.videos.size() % 3 ? "youtube" : "ffpp";
    v.label = in.videos.size() % 2 ? "fake" : "real";
    const auto idx = static_cast<uint32_t>(in.videos.size());
    in.videos.push_back(v);
    for (int k = tracks_per_video(rng); k > 0 && i < points.size(); --k) in.tracks.push_back({idx, points[i++]});
    if (idx % 5 == 4) in.links.emplace_back(idx, idx - 1);
  }
  return in;
}

} // namespace

int main(int argc, char** argv) {
  const size_t max_n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
  const dataset::GroupingOptions options; // the defaults: dataset.group_threshold, dataset.group_linkage
  std::printf("threshold %.2f, %s linkage (the defaults); clustered people, 1-19 tracks each\n", options.threshold,
              dataset::linkage_name(options.linkage));
  std::printf("%8s %8s %8s %10s %14s %12s %10s %10s\n", "tracks", "videos", "groups", "group s", "checks/pairs",
              "plan s", "units", "peak MB");
  double first = 0;
  for (size_t n : {size_t(10000), size_t(30000), size_t(100000)}) {
    if (n > max_n) break;
    const auto points = clustered(n, 42);
    const auto t0 = std::chrono::steady_clock::now();
    const auto g = dataset::group_identities(points, options);
    const auto t1 = std::chrono::steady_clock::now();
    // The whole split assignment: grouping again inside, video units, strata, splits.
    const auto input = as_videos(points);
    const auto t2 = std::chrono::steady_clock::now();
    const auto plan = dataset::plan_splits(input);
    const auto t3 = std::chrono::steady_clock::now();
    const double plan_s = std::chrono::duration<double>(t3 - t2).count();
    if (first == 0) first = plan_s;
    const double pairs = double(n) * double(n - 1) / 2;
    std::printf("%8zu %8zu %8d %10.3f %14.2e %12.3f %10d %10ld   (x%.1f time for x%.0f tracks)\n", n,
                input.videos.size(), g.groups, std::chrono::duration<double>(t1 - t0).count(),
                double(g.distance_checks) / pairs, plan_s, plan.units, peak_rss_mb(), plan_s / first,
                double(n) / 10000);
  }
  std::printf("target: grouping + split assignment of 100k tracks under 5 s\n");
  return 0;
}
