// The fast face path against the full per-frame path on shared/data's real clips, at ingest's 32 sampled
// frames: every `STRIDE`-th clip from the third (the quality tests take every sixteenth with 16 frames),
// with the default settings and with ingest.follow_landmarks, then six of them small in a 1280x720 frame.
// Prints each tally and the fast path's time over the full path's, both measured in this run.
//   curator_bench_follow MODELS_DIR DATA_DIR [STRIDE=4] [THREADS=2]
#include "core/allocator.hpp"
#include "ingest/follow_eval.hpp"
#include "retrain/torch_runtime.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <unistd.h>

using namespace curator;
namespace fs = std::filesystem;

namespace {

void print(const std::string& name, const ingest::FollowTally& t) {
  std::cout << name << ": " << t.report() << "\n  fast/full time ratio "
            << (t.full_seconds > 0 ? t.fast_seconds / t.full_seconds : 0.0) << "\n";
}

} // namespace

int main(int argc, char** argv) {
  curator::core::tune_allocator(); // before any thread starts
  if (argc < 3) {
    std::cerr << "usage: curator_bench_follow MODELS_DIR DATA_DIR [STRIDE=4] [THREADS=2]\n";
    return 2;
  }
  const fs::path models = argv[1], data = argv[2];
  const size_t stride = argc > 3 ? std::max(1, std::atoi(argv[3])) : 4;
  retrain::configure_torch(argc > 4 ? std::atoi(argv[4]) : 2);
  const faces::FacePipeline pipeline(models);
  const auto all = ingest::follow_eval_clips(data);
  std::vector<fs::path> clips;
  for (size_t i = 2; i < all.size(); i += stride) clips.push_back(all[i]);

  ingest::FollowTally plain, landmarks;
  for (const auto& clip : clips)
    ingest::compare_follow(pipeline, clip, 32, {ingest::fast_follow_settings(false), ingest::fast_follow_settings(true)},
                           {&plain, &landmarks});
  print(std::to_string(clips.size()) + " clips, default settings", plain);
  print(std::to_string(clips.size()) + " clips, following by landmarks", landmarks);

  const fs::path tmp = fs::temp_directory_path() / ("curator-follow-bench-" + std::to_string(getpid()));
  fs::create_directories(tmp);
  ingest::FollowTally wide;
  int made = 0;
  for (size_t i = 0; i < clips.size() && made < 6; i += 2) {
    const auto out = tmp / (std::to_string(i) + ".mp4");
    const std::string cmd = "ffmpeg -v error -y -i '" + clips[i].string() +
                            "' -t 4 -vf 'scale=-2:240,pad=1280:720:(ow-iw)/2:(oh-ih)/3' -c:v libx264 -preset veryfast"
                            " -crf 18 -an '" + out.string() + "'";
    if (std::system(cmd.c_str()) != 0) {
      std::cerr << "ffmpeg failed on " << clips[i] << "\n";
      continue;
    }
    ingest::compare_follow(pipeline, out, 32, {ingest::fast_follow_settings(false)}, {&wide});
    ++made;
  }
  fs::remove_all(tmp);
  print(std::to_string(made) + " clips in 1280x720", wide);
  return 0;
}
