// The promotion gate's paired bootstrap: time per source of 100 test videos (50 real, 50 fake) of 32
// frames, at 1000 resamples (the defaults), against the same data without the frame-level half (video
// level only) as the baseline measured in the same run. Scoring the crops is the other half of a gate's
// time; its rate is the evaluation's (curator_bench_train prints inference images/s).
//   curator_bench_gate [VIDEOS] [RESAMPLES]
#include "retrain/promotion_gate.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

using namespace curator;

namespace {

retrain::PairedScores table(int videos, int frames, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, 0.3);
  retrain::PairedScores s;
  for (int v = 0; v < videos; ++v) {
    const int label = v % 2;
    const double base = noise(rng);
    for (int f = 0; f < frames; ++f) {
      s.video.push_back(v);
      s.label.push_back(label);
      s.candidate.push_back(1 / (1 + std::exp(-(base + label * 0.8 + 0.3 * noise(rng)))));
      s.champion.push_back(1 / (1 + std::exp(-(base + label * 0.6 + 0.3 * noise(rng)))));
    }
  }
  return s;
}

double seconds_for(const retrain::PairedScores& s, const retrain::GateConfig& g) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto d = retrain::promotion_gate({{"src", s}}, true, "imagenet:x", g);
  const auto t1 = std::chrono::steady_clock::now();
  if (d.sources.empty()) std::abort();
  return std::chrono::duration<double>(t1 - t0).count();
}

} // namespace

int main(int argc, char** argv) {
  const int videos = argc > 1 ? std::atoi(argv[1]) : 100;
  const int resamples = argc > 2 ? std::atoi(argv[2]) : 1000;
  retrain::GateConfig g;
  g.min_test_videos = 1;
  g.resamples = resamples;
  const auto full = table(videos, 32, 1), one_frame = table(videos, 1, 1);
  const double with_frames = seconds_for(full, g), video_only = seconds_for(one_frame, g);
  std::printf("paired bootstrap, %d resamples, one source of %d test videos:\n", resamples, videos);
  std::printf("  32 frames a video (video + frame level): %.3f s\n", with_frames);
  std::printf("  1 frame a video (baseline)             : %.3f s\n", video_only);
  std::printf("  ratio: %.1fx\n", with_frames / video_only);
  return 0;
}
