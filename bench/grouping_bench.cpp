// Identity grouping of synthetic clustered track embeddings at 10k, 30k and 100k: time, exact distance
// checks made (against all pairs) and peak memory. Split assignment of the resulting groups (the
// deterministic bucket rule) is timed with it.
//   curator_bench_grouping [MAX_N]
#include "dataset/identity_grouping.hpp"
#include "dataset/split.hpp"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

using namespace curator;

namespace {

std::vector<dataset::Vec128> clustered(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> centre(0, 0.1f), noise(0, 0.02f);
  std::uniform_int_distribution<int> size(1, 19); // tracks per person: 1..19, mean 10
  std::vector<dataset::Vec128> out;
  out.reserve(n);
  while (out.size() < n) {
    dataset::Vec128 mid;
    for (auto& x : mid) x = centre(rng);
    for (int k = size(rng); k > 0 && out.size() < n; --k) {
      dataset::Vec128 p = mid;
      for (auto& x : p) x += noise(rng);
      out.push_back(p);
    }
  }
  return out;
}

long peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

} // namespace

int main(int argc, char** argv) {
  const size_t max_n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
  std::printf("%8s %8s %10s %14s %12s %10s\n", "tracks", "groups", "group s", "checks/pairs", "split s", "peak MB");
  for (size_t n : {size_t(10000), size_t(30000), size_t(100000)}) {
    if (n > max_n) break;
    const auto points = clustered(n, 42);
    const auto t0 = std::chrono::steady_clock::now();
    const auto g = dataset::group_identities(points, 0.6f);
    const auto t1 = std::chrono::steady_clock::now();
    int test = 0;
    for (int k = 0; k < g.groups; ++k) test += dataset::bucket_split("group:" + std::to_string(k), 1.0 / 6, 0.1) == dataset::Split::test;
    const auto t2 = std::chrono::steady_clock::now();
    const double pairs = double(n) * double(n - 1) / 2;
    std::printf("%8zu %8d %10.3f %14.2e %12.3f %10ld   (%d groups in test)\n", n, g.groups,
                std::chrono::duration<double>(t1 - t0).count(), double(g.distance_checks) / pairs,
                std::chrono::duration<double>(t2 - t1).count(), peak_rss_mb(), test);
  }
  return 0;
}
