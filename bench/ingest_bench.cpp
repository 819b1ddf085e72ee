// Ingest throughput in video-seconds per wall-second on a 720p H.264 talking-head clip, next to a plain
// `ffmpeg -i clip -f null -` decode of the same clip in the same run.
//   curator_bench_ingest SHARED_DATA_DIR MODELS_DIR [SECONDS] [THREADS]
// Builds the clip with ffmpeg from shared/data/video/retalking/1.mp4 (looped, scaled to 1280x720).
#include "core/config.hpp"
#include "core/worker_pool.hpp"
#include "retrain/torch_runtime.hpp"
#include "serve/services.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <unistd.h>

using namespace curator;
namespace fs = std::filesystem;

namespace {
double wall(const std::function<void()>& fn) {
  auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
int sh(const std::string& cmd) { return std::system(cmd.c_str()); }
} // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: curator_bench_ingest SHARED_DATA_DIR MODELS_DIR [SECONDS] [THREADS]\n";
    return 2;
  }
  const fs::path data = argv[1], models = argv[2];
  const int seconds = argc > 3 ? std::atoi(argv[3]) : 60;
  const int threads = argc > 4 ? std::atoi(argv[4]) : 2;
  const fs::path work = fs::temp_directory_path() / ("curator-bench-ingest-" + std::to_string(::getpid()));
  fs::create_directories(work);
  const fs::path clip = work / "talking-head-720p.mp4";
  const std::string source = (data / "video/retalking/1.mp4").string();
  if (sh("ffmpeg -v error -y -stream_loop -1 -i '" + source + "' -t " + std::to_string(seconds) +
         " -vf scale=1280:720,setsar=1 -r 25 -c:v libx264 -preset veryfast -pix_fmt yuv420p -an '" + clip.string() + "'") != 0) {
    std::cerr << "could not build the clip from " << source << "\n";
    return 1;
  }
  const double decode_s = wall([&] { sh("ffmpeg -v error -i '" + clip.string() + "' -f null - "); });

  auto config = core::Config::defaults(core::default_settings(), {{"data.dir", (work / "var").string()},
                                                                  {"faces.models_dir", models.string()},
                                                                  {"torch.threads", std::to_string(threads)}});
  retrain::configure_torch(threads);
  core::SystemClock clock;
  serve::Services services(config, clock);
  services.faces->get(); // load the models outside the timing
  std::atomic<bool> stop{false};
  core::JobContext ctx(stop);
  nlohmann::json result;
  const double ingest_s = wall([&] {
    auto receipt = services.ingest->submit_file(clip, {}, "path");
    result = services.ingest->run_job(receipt.id, ctx, true);
  });
  std::printf("clip: %d s of 1280x720 H.264 at 25 fps; ingest sampled %d frames, LibTorch %d threads\n", seconds,
              static_cast<int>(config.get_int("ingest.sample_frames")), threads);
  std::printf("%-34s %8.2f s  %6.1fx real time\n", "ffmpeg -i clip -f null - (decode)", decode_s, seconds / decode_s);
  std::printf("%-34s %8.2f s  %6.1fx real time  (%s)\n", "curator ingest (whole job)", ingest_s, seconds / ingest_s,
              result.dump().c_str());
  std::printf("ingest / ffmpeg decode time ratio: %.2f\n", ingest_s / decode_s);
  fs::remove_all(work);
  return 0;
}
