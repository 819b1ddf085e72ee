// Ingest speed on 720p talking-head clips, in one run: a plain ffmpeg decode of each clip (the floor), the
// whole ingest job with the full per-frame face path (detector on every sampled frame), with the default
// path (detector on key frames, faces followed between in detector windows) and with faces followed by
// landmarks (ingest.follow_landmarks), their ratios, and where the time goes (the job's stages, each
// model alone); then POST /api/v1/score of the 10 s clip to a daemon with a champion, and two
// submissions at once.
//   curator_bench_ingest SHARED_DATA_DIR MODELS_DIR [THREADS] [DETECT_EVERY]
// The clips are made with ffmpeg from shared/data/video/retalking/1.mp4 (a 524x524 talking head, 6.6 s):
//   ffmpeg -stream_loop -1 -i 1.mp4 -t SECONDS -vf scale=1280:720,setsar=1 -r 25 -c:v libx264
//          -preset veryfast -pix_fmt yuv420p -an clip.mp4
// for SECONDS 10 and 60 (and a second 10 s clip from retalking/2.mp4 for two submissions at once).
#include "core/allocator.hpp"
#include "core/config.hpp"
#include "core/worker_pool.hpp"
#include "ingest/decode_check.hpp"
#include "ingest/face_follower.hpp"
#include "ingest/faces/chips.hpp"
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
#include <opencv2/videoio.hpp>
#include <fstream>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
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

// Wall and CPU seconds (the whole process's, every thread: FFmpeg's own decoding threads included).
struct Timed {
  double wall, cpu;
};
double cpu_now() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}
Timed timed(const std::function<void()>& fn) {
  const double c0 = cpu_now();
  const double w = wall(fn);
  return {w, cpu_now() - c0};
}

int sh(const std::string& cmd) { return std::system(cmd.c_str()); }

// Model work runs on a thread that ends with it, as the daemon runs each job (core/worker_pool.hpp): a
// thread that keeps an OpenMP team would slow every other thread's model work.
void own_thread(const std::function<void()>& fn) { std::thread(fn).join(); }

// How faces are found: ingest.detect_every and ingest.follow_landmarks.
struct FacePath {
  int every = 1;
  bool landmarks = false;
  std::string name() const {
    return "detect_every " + std::to_string(every) + (landmarks ? ", landmarks" : "");
  }
  std::string key() const { return std::to_string(every) + (landmarks ? "L" : ""); }
  std::map<std::string, std::string> settings() const {
    return {{"ingest.detect_every", std::to_string(every)}, {"ingest.follow_landmarks", landmarks ? "true" : "false"}};
  }
};

core::Config bench_config(std::map<std::string, std::string> values, const FacePath& path) {
  for (const auto& [k, v] : path.settings()) values[k] = v;
  return core::Config::defaults(core::default_settings(), {values.begin(), values.end()});
}

// The whole ingest job on `clip` along `path`, in a fresh data folder.
double ingest_once(const fs::path& work, const fs::path& clip, const fs::path& models, int threads,
                   const FacePath& path, nlohmann::json& result) {
  const auto dir = work / ("var-" + path.key() + "-" + clip.stem().string());
  auto config = bench_config({{"data.dir", dir.string()},
                              {"faces.models_dir", models.string()},
                              {"torch.threads", std::to_string(threads)}},
                             path);
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
  std::vector<cv::Mat> rgb;
  std::vector<uint64_t> hashes;
  for (const auto& f : frames) rgb.push_back(f.rgb), hashes.push_back(ingest::dhash(f.rgb));
  const double face_s = wall([&] {
    for (const auto& found : follower.follow_clip(rgb, hashes)) faces += found.size();
  });
  const auto c = follower.counts();
  if (every == 1) { // the parts of the job's decode stage, one after another
    int64_t decoded = 0;
    const auto indices = ingest::sample_indices(info.frame_count, 32, 0);
    const auto whole = timed([&] { ingest::sample_frames(clip, indices, info.fps, &decoded); });
    const auto every_picture = timed([&] { ingest::sample_frames(clip, indices, info.fps, &decoded, false); });
    const auto opencv = timed([&] { // the reader ingest used before: grab() every frame, retrieve() the sampled
      cv::VideoCapture cap(clip.string(), cv::CAP_FFMPEG);
      cv::Mat bgr;
      for (int64_t i = 0; cap.grab(); ++i)
        if (std::binary_search(indices.begin(), indices.end(), i)) cap.retrieve(bgr);
    });
    const double signatures = wall([&] { ingest::frame_signatures(rgb); });
    const double packets = wall([&] { ingest::count_packets(clip); });
    std::printf("  decode stage: sampling to the stream's end %.2f s, %.2f s CPU (%lld frames; every picture decoded: "
                "%.2f s, %.2f s CPU; OpenCV's reader: %.2f s, %.2f s CPU), hashes and thumbnails %.2f s, ffprobe "
                "packet count %.2f s (beside the sampling)\n",
                whole.wall, whole.cpu, static_cast<long long>(decoded), every_picture.wall, every_picture.cpu,
                opencv.wall, opencv.cpu, signatures, packets);
  }
  if (every == 1) { // each model alone on the same frames
    double detect = 0, marks = 0, embed = 0;
    for (const auto& f : frames) {
      std::vector<faces::FaceBox> boxes;
      std::vector<faces::Landmarks68> located;
      std::vector<cv::Mat> chips;
      detect += wall([&] { boxes = pipeline.detector().detect(f.rgb, 0.5f); });
      marks += wall([&] { located = pipeline.landmarks().locate(f.rgb, boxes); });
      for (const auto& m : located) chips.push_back(faces::identity_chip(f.rgb, m));
      embed += wall([&] { pipeline.embedder().embed(chips); });
    }
    std::printf("  per model on the %zu frames: whole-frame detector %.2f s, landmarks %.2f s, embeddings %.2f s\n",
                frames.size(), detect, marks, embed);
  }
  std::printf("  detect_every %-2d: sample+decode 32 frames %.2f s | faces %.2f s (detector on %d frames %.2f s, "
              "followed %d frames %.2f s, fall-backs %d) | %zu faces\n",
              every, decode, face_s, c.detected, c.detect_seconds, c.followed, c.follow_seconds, c.fell_back, faces);
}

// Two submissions ingested at once by two job threads (as the daemon's two workers do), LibTorch with
// `threads` threads in all: each job's wall time.
void two_at_once(const fs::path& work, const fs::path& a, const fs::path& b, const fs::path& models, int threads,
                 const FacePath& path, int seconds) {
  retrain::configure_torch(threads);
  auto config = bench_config({{"data.dir", (work / ("var-two-" + std::to_string(threads) + "-" + path.key())).string()},
                              {"faces.models_dir", models.string()},
                              {"torch.threads", std::to_string(threads)}},
                             path);
  core::SystemClock clock;
  serve::Services services(config, clock);
  own_thread([&] { services.faces->get(); });
  const auto ra = services.ingest->submit_file(a, {}, "path"), rb = services.ingest->submit_file(b, {}, "path");
  double wa = 0, wb = 0;
  auto job = [&](int64_t id, double& w) {
    std::atomic<bool> stop{false};
    core::JobContext ctx(stop);
    w = wall([&] { services.ingest->run_job(id, ctx, true); });
  };
  std::thread ta(job, ra.id, std::ref(wa)), tb(job, rb.id, std::ref(wb));
  ta.join(), tb.join();
  std::printf("  two %d s clips at once, %s, torch.threads %d: %.2f s and %.2f s (%.1fx and %.1fx real "
              "time each)\n", seconds, path.name().c_str(), threads, wa, wb, seconds / wa, seconds / wb);
}

// A champion in a fresh data folder: an untrained ResNet18 at 224 px (the default training size; the
// weights do not change the cost), registered and promoted as a round would.
void make_champion(const core::Config& config, const fs::path& data_dir) {
  const auto run_dir = data_dir / "bench-run";
  fs::create_directories(run_dir);
  retrain::TrainParams params;
  retrain::Detector model(retrain::detector_options(params));
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
void score_latency(const fs::path& work, const fs::path& clip, const fs::path& models, int threads,
                   const FacePath& path) {
  const auto data_dir = work / ("var-score-" + path.key());
  fs::create_directories(data_dir);
  auto config = bench_config({{"data.dir", data_dir.string()},
                              {"server.port", "0"},
                              {"scheduler.enabled", "false"},
                              {"jobs.poll_interval_ms", "20"},
                              {"faces.models_dir", models.string()},
                              {"torch.threads", std::to_string(threads)}},
                             path);
  own_thread([&] { make_champion(config, data_dir); });
  serve::Daemon daemon(config);
  daemon.start();
  httplib::Client client("127.0.0.1", daemon.port());
  client.set_read_timeout(300);
  std::ifstream in(clip, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<double> times;
  std::string verdict, seconds;
  for (int i = 0; i < 4; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto res = client.Post("/api/v1/score", httplib::MultipartFormDataItems{{"file", bytes, "clip.mp4", "video/mp4"}});
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (!res || res->status != 200) {
      std::printf("  POST /api/v1/score failed: %s\n", res ? res->body.c_str() : "no answer");
      daemon.stop("bench");
      return;
    }
    const auto body = nlohmann::json::parse(res->body);
    verdict = body["video"].dump() + ", model in " + body.value("precision", "?"), seconds = body["seconds"].dump();
  }
  daemon.stop("bench");
  std::printf("%-8s %-34s %8.2f %9s %13s  first request %.2f s (loads the models); %s\n           job stages (s): %s\n", "10 s",
              ("POST /api/v1/score, " + path.name()).c_str(),
              *std::min_element(times.begin() + 1, times.end()), "", "", times[0], verdict.c_str(), seconds.c_str());
}

} // namespace

int main(int argc, char** argv) {
  curator::core::tune_allocator(); // before any thread starts
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
  std::unique_ptr<faces::FacePipeline> pipeline;
  own_thread([&] { pipeline = std::make_unique<faces::FacePipeline>(models); });
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
    nlohmann::json full_result, fast_result, landmark_result;
    double full = 0, fast = 0, landmark = 0;
    own_thread([&] { full = ingest_once(work, clip, models, threads, {1, false}, full_result); });
    own_thread([&] { fast = ingest_once(work, clip, models, threads, {every, false}, fast_result); });
    own_thread([&] { landmark = ingest_once(work, clip, models, threads, {every, true}, landmark_result); });
    const std::string name = std::to_string(seconds) + " s";
    std::printf("%-8s %-34s %8.2f %9.1fx %13s\n", name.c_str(), "ffmpeg -i clip -f null - (decode)", decode,
                seconds / decode, "1.00");
    std::printf("%-8s %-34s %8.2f %9.1fx %13.2f  %s\n", name.c_str(), "ingest, detect_every 1 (full path)", full,
                seconds / full, full / decode, full_result.dump().c_str());
    const std::string fast_name = "ingest, " + FacePath{every, false}.name();
    std::printf("%-8s %-34s %8.2f %9.1fx %13.2f  %s\n", name.c_str(), fast_name.c_str(), fast, seconds / fast,
                fast / decode, fast_result.dump().c_str());
    const std::string landmark_name = "ingest, " + FacePath{every, true}.name();
    std::printf("%-8s %-34s %8.2f %9.1fx %13.2f  %s\n", name.c_str(), landmark_name.c_str(), landmark,
                seconds / landmark, landmark / decode, landmark_result.dump().c_str());
    std::printf("%-8s fast / full time ratio: %.2f (with landmarks %.2f)\n", name.c_str(), fast / full, landmark / full);
    own_thread([&] { stages(clip, *pipeline, 1); });
    own_thread([&] { stages(clip, *pipeline, every); });
  }
  for (const FacePath& p : {FacePath{1, false}, FacePath{every, false}, FacePath{every, true}})
    score_latency(work, work / "talking-head-10s-720p.mp4", models, threads, p);
  // Two at once: the 10 s clip and another talking head made the same way.
  const fs::path a = work / "talking-head-10s-720p.mp4", b = work / "second-head-10s-720p.mp4";
  sh("ffmpeg -v error -y -stream_loop -1 -i '" + (data / "video/retalking/2.mp4").string() +
     "' -t 10 -vf scale=1280:720,setsar=1 -r 25 -c:v libx264 -preset veryfast -pix_fmt yuv420p -an '" + b.string() + "'");
  for (const FacePath& p : {FacePath{every, false}, FacePath{every, true}})
    for (int t : {1, 2}) two_at_once(work, a, b, models, t, p, 10);
  fs::remove_all(work);
  return 0;
}
