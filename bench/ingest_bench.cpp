// Ingest speed on 720p talking-head clips, in one run: a plain ffmpeg decode of each clip (the floor), the
// whole ingest job with the full per-frame face path (detector on every sampled frame) and with the fast
// path (detector on key frames, faces followed between), their ratios, and where the time goes; then
// POST /api/v1/score of the 10 s clip to a daemon with a champion, and two submissions at once.
//   curator_bench_ingest SHARED_DATA_DIR MODELS_DIR [THREADS] [DETECT_EVERY]
// The clips are made with ffmpeg from shared/data/video/retalking/1.mp4 (a 524x524 talking head, 6.6 s):
//   ffmpeg -stream_loop -1 -i 1.mp4 -t SECONDS -vf scale=1280:720,setsar=1 -r 25 -c:v libx264
//          -preset veryfast -pix_fmt yuv420p -an clip.mp4
// for SECONDS 10 and 60 (and a second 10 s clip from retalking/2.mp4 for two submissions at once).
#include "core/config.hpp"
#include "core/worker_pool.hpp"
#include "ingest/face_follower.hpp"
#include "ingest/frame_sampler.hpp"
#include "ingest/ingest_service.hpp"
#include "ingest/video_checks.hpp"
#include "ingest/video_probe.hpp"
#include "retrain/detector_model.hpp"
#include "retrain/model_io.hpp"
#include "retrain/model_registry.hpp"
#include "retrain/training.hpp"
#include "retrain/torch_runtime.hpp"
#include "serve/daemon.hpp"
#include "serve/services.hpp"

#include <httplib.h>
#include <fstream>

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

// A champion in a fresh data folder: an untrained ResNet18 at 224 px (the default training size; the
// weights do not change the cost), registered and promoted as a round would.
void make_champion(const core::Config& config, const fs::path& data_dir) {
  const auto run_dir = data_dir / "bench-run";
  fs::create_directories(run_dir);
  retrain::TrainParams params;
  retrain::Detector model(retrain::DetectorOptions{params.backbone, params.hidden, params.dropout});
  retrain::save_weights(*model, run_dir / "model.pt");
  std::ofstream(run_dir / "card.json") << nlohmann::json{{"params", params.to_json()}, {"snapshot_id", "bench"}}.dump();
  core::SystemClock clock;
  serve::Services services(config, clock); // opens (and creates) the data folder's database
  retrain::ModelRegistry registry(*services.db, services.dir, clock);
  const auto version = registry.register_run("bench", run_dir);
  retrain::GateDecision promote;
  promote.promote = true;
  promote.summary = "bench champion";
  registry.record_decision(version.version, std::nullopt, "bench", promote, retrain::GateConfig{}, "bench");
}

// POST /api/v1/score of `clip` to a daemon with a champion (one job worker, as scoring runs): the first
// request (models loaded on it) and the best of the next three.
void score_latency(const fs::path& work, const fs::path& clip, const fs::path& models, int threads, int every) {
  const auto data_dir = work / ("var-score-" + std::to_string(every));
  fs::create_directories(data_dir);
  auto config = core::Config::defaults(core::default_settings(), {{"data.dir", data_dir.string()},
                                                                  {"server.port", "0"},
                                                                  {"scheduler.enabled", "false"},
                                                                  {"jobs.poll_interval_ms", "20"},
                                                                  {"faces.models_dir", models.string()},
                                                                  {"torch.threads", std::to_string(threads)},
                                                                  {"ingest.detect_every", std::to_string(every)}});
  make_champion(config, data_dir);
  serve::Daemon daemon(config);
  daemon.start();
  httplib::Client client("127.0.0.1", daemon.port());
  client.set_read_timeout(300);
  std::ifstream in(clip, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<double> times;
  std::string verdict;
  for (int i = 0; i < 4; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto res = client.Post("/api/v1/score", httplib::MultipartFormDataItems{{"file", bytes, "clip.mp4", "video/mp4"}});
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (!res || res->status != 200) {
      std::printf("  POST /api/v1/score failed: %s\n", res ? res->body.c_str() : "no answer");
      daemon.stop("bench");
      return;
    }
    verdict = nlohmann::json::parse(res->body)["video"].dump();
  }
  daemon.stop("bench");
  std::printf("%-8s %-34s %8.2f %9s %13s  first request %.2f s (loads the models); %s\n", "10 s",
              ("POST /api/v1/score, detect_every " + std::to_string(every)).c_str(),
              *std::min_element(times.begin() + 1, times.end()), "", "", times[0], verdict.c_str());
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
  for (int k : {1, every}) score_latency(work, work / "talking-head-10s-720p.mp4", models, threads, k);
  // Two at once: the 10 s clip and another talking head made the same way.
  const fs::path a = work / "talking-head-10s-720p.mp4", b = work / "second-head-10s-720p.mp4";
  sh("ffmpeg -v error -y -stream_loop -1 -i '" + (data / "video/retalking/2.mp4").string() +
     "' -t 10 -vf scale=1280:720,setsar=1 -r 25 -c:v libx264 -preset veryfast -pix_fmt yuv420p -an '" + b.string() + "'");
  for (int t : {1, 2}) two_at_once(work, a, b, models, t, every, 10);
  fs::remove_all(work);
  return 0;
}
