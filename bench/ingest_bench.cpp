// Ingest speed on 720p talking-head clips, in one run: a plain ffmpeg decode of each clip (the floor), the
// whole ingest job with the full per-frame face path (detector on every sampled frame) and with the fast
// path (detector on key frames, faces followed between), their ratios, and where the time goes.
//   curator_bench_ingest SHARED_DATA_DIR MODELS_DIR [THREADS] [DETECT_EVERY]
// The clips are made with ffmpeg from shared/data/video/retalking/1.mp4 (a 524x524 talking head, 6.6 s):
//   ffmpeg -stream_loop -1 -i 1.mp4 -t SECONDS -vf scale=1280:720,setsar=1 -r 25 -c:v libx264 \
//          -preset veryfast -pix_fmt yuv420p -an clip.mp4
// for SECONDS 10 and 60 (and a second 10 s clip from retalking/2.mp4 for two submissions at once).
#include "core/config.hpp"
#include "core/worker_pool.hpp"
#include "ingest/face_follower.hpp"
#include "ingest/frame_sampler.hpp"
#include "ingest/ingest_service.hpp"
#include "ingest/video_checks.hpp"
#include "ingest/video_probe.hpp"
#include "retrain/torch_runtime.hpp"
#include "serve/services.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
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

// The whole ingest job on `clip` with ingest.detect_every = `every`, in a fresh data folder.
double ingest_once(const fs::path& work, const fs::path& clip, const fs::path& models, int threads, int every,
                   nlohmann::json& result) {
  const auto dir = work / ("var-" + std::to_string(every) + "-" + clip.stem().string());
  auto config = core::Config::defaults(core::default_settings(), {{"data.dir", dir.string()},
                                                                  {"faces.models_dir", models.string()},
                                                                  {"torch.threads", std::to_string(threads)},
                                                                  {"ingest.detect_every", std::to_string(every)}});
  core::SystemClock clock;
  serve::Services services(config, clock);
  services.faces->get(); // load the models outside the timing
  std::atomic<bool> stop{false};
  core::JobContext ctx(stop);
  return wall([&] {
    auto receipt = services.ingest->submit_file(clip, {}, "path");
    result = services.ingest->run_job(receipt.id, ctx, true);
  });
}

// Where the face work goes: decoding the 32 samples, then the face path on them.
void stages(const fs::path& clip, const faces::FacePipeline& pipeline, int every) {
  const auto info = ingest::probe_video(clip);
  std::vector<ingest::SampledFrame> frames;
  const double decode = wall([&] { frames = ingest::sample_frames(clip, ingest::sample_indices(info.frame_count, 32, 0), info.fps); });
  ingest::FollowSettings s;
  s.detect_every = every;
  ingest::FaceFollower follower(pipeline, s);
  size_t faces = 0;
  const double face_s = wall([&] {
    for (const auto& f : frames) faces += follower.next(f.rgb, ingest::dhash(f.rgb)).size();
  });
  const auto c = follower.counts();
  std::printf("  detect_every %-2d: sample+decode 32 frames %.2f s | faces %.2f s (detector on %d frames %.2f s, "
              "followed %d frames %.2f s, fall-backs %d) | %zu faces\n",
              every, decode, face_s, c.detected, c.detect_seconds, c.followed, c.follow_seconds, c.fell_back, faces);
}

// Two submissions ingested at once by two job threads (as the daemon's two workers do), LibTorch with
// `threads` threads in all: each job's wall time.
void two_at_once(const fs::path& work, const fs::path& a, const fs::path& b, const fs::path& models, int threads,
                 int every, int seconds) {
  retrain::configure_torch(threads);
  auto config = core::Config::defaults(core::default_settings(),
                                       {{"data.dir", (work / ("var-two-" + std::to_string(threads) + "-" + std::to_string(every))).string()},
                                        {"faces.models_dir", models.string()},
                                        {"torch.threads", std::to_string(threads)},
                                        {"ingest.detect_every", std::to_string(every)}});
  core::SystemClock clock;
  serve::Services services(config, clock);
  services.faces->get();
  const auto ra = services.ingest->submit_file(a, {}, "path"), rb = services.ingest->submit_file(b, {}, "path");
  double wa = 0, wb = 0;
  auto job = [&](int64_t id, double& w) {
    std::atomic<bool> stop{false};
    core::JobContext ctx(stop);
    w = wall([&] { services.ingest->run_job(id, ctx, true); });
  };
  std::thread ta(job, ra.id, std::ref(wa)), tb(job, rb.id, std::ref(wb));
  ta.join(), tb.join();
  std::printf("  two %d s clips at once, detect_every %d, torch.threads %d: %.2f s and %.2f s (%.1fx and %.1fx real "
              "time each)\n", seconds, every, threads, wa, wb, seconds / wa, seconds / wb);
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: curator_bench_ingest SHARED_DATA_DIR MODELS_DIR [THREADS] [DETECT_EVERY]\n";
    return 2;
  }
  const fs::path data = argv[1], models = argv[2];
  const int threads = argc > 3 ? std::atoi(argv[3]) : 2;
  const int every = argc > 4 ? std::atoi(argv[4]) : 8;
  retrain::configure_torch(threads);
  const fs::path work = fs::temp_directory_path() / ("curator-bench-ingest-" + std::to_string(::getpid()));
  fs::create_directories(work);
  const std::string source = (data / "video/retalking/1.mp4").string();
  faces::FacePipeline pipeline(models);
  std::printf("LibTorch %d threads; 1280x720 H.264 25 fps clips looped from %s\n", threads, source.c_str());
  std::printf("%-8s %-34s %8s %10s %14s\n", "clip", "what", "seconds", "x realtime", "vs decode");
  for (int seconds : {10, 60}) {
    const fs::path clip = work / ("talking-head-" + std::to_string(seconds) + "s-720p.mp4");
    if (sh("ffmpeg -v error -y -stream_loop -1 -i '" + source + "' -t " + std::to_string(seconds) +
           " -vf scale=1280:720,setsar=1 -r 25 -c:v libx264 -preset veryfast -pix_fmt yuv420p -an '" + clip.string() +
           "'") != 0) {
      std::cerr << "could not build the clip from " << source << "\n";
      return 1;
    }
    const double decode = wall([&] { sh("ffmpeg -v error -i '" + clip.string() + "' -f null - "); });
    nlohmann::json full_result, fast_result;
    const double full = ingest_once(work, clip, models, threads, 1, full_result);
    const double fast = ingest_once(work, clip, models, threads, every, fast_result);
    const std::string name = std::to_string(seconds) + " s";
    std::printf("%-8s %-34s %8.2f %9.1fx %13s\n", name.c_str(), "ffmpeg -i clip -f null - (decode)", decode,
                seconds / decode, "1.00");
    std::printf("%-8s %-34s %8.2f %9.1fx %13.2f  %s\n", name.c_str(), "ingest, full path (detect_every 1)", full,
                seconds / full, full / decode, full_result.dump().c_str());
    const std::string fast_name = "ingest, fast path (detect_every " + std::to_string(every) + ")";
    std::printf("%-8s %-34s %8.2f %9.1fx %13.2f  %s\n", name.c_str(), fast_name.c_str(), fast, seconds / fast,
                fast / decode, fast_result.dump().c_str());
    std::printf("%-8s fast / full time ratio: %.2f\n", name.c_str(), fast / full);
    stages(clip, pipeline, 1);
    stages(clip, pipeline, every);
  }
  // Two at once: the 10 s clip and another talking head made the same way.
  const fs::path a = work / "talking-head-10s-720p.mp4", b = work / "second-head-10s-720p.mp4";
  sh("ffmpeg -v error -y -stream_loop -1 -i '" + (data / "video/retalking/2.mp4").string() +
     "' -t 10 -vf scale=1280:720,setsar=1 -r 25 -c:v libx264 -preset veryfast -pix_fmt yuv420p -an '" + b.string() + "'");
  for (int t : {1, 2}) two_at_once(work, a, b, models, t, every, 10);
  fs::remove_all(work);
  return 0;
}
