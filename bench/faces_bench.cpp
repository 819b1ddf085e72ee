// Face model speed on this machine: faces per second for detection, landmarks and embedding at batch 1
// and 16, and milliseconds per 720p frame end to end (detect + landmarks + chips + embeddings), then the
// end-to-end time again in a child process with glibc's default malloc settings, and the ratio.
//   curator_bench_faces MODELS_DIR [THREADS] [TRACE_JSON]   (MODELS_DIR: faces.models_dir, e.g. models/face-api)
// With TRACE_JSON it only writes a LibTorch profiler trace of 5 whole-frame detections there (chrome://tracing;
// the events' names and durations add up per op).
#include "core/allocator.hpp"
#include "ingest/faces/chips.hpp"
#include "ingest/faces/face_pipeline.hpp"
#include "ingest/faces/ssd_detector.hpp"
#include "retrain/torch_runtime.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <functional>
#include <iostream>

using namespace curator;

namespace {

// Median seconds of `runs` calls after one warm-up call.
double time_it(const std::function<void()>& fn, int runs) {
  fn();
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
  curator::core::tune_allocator(); // before any thread starts
  if (argc < 2) {
    std::cerr << "usage: curator_bench_faces MODELS_DIR [THREADS] [TRACE_JSON]\n";
    return 2;
  }
  const std::filesystem::path models = argv[1];
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  retrain::configure_torch(threads);
  faces::FacePipeline pipeline(models);

  cv::Mat bgr = cv::imread((models / "demo" / "sample1.jpg").string());
  if (bgr.empty()) {
    std::cerr << "missing " << (models / "demo" / "sample1.jpg") << "\n";
    return 1;
  }
  cv::Mat rgb, frame;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  cv::resize(rgb, frame, cv::Size(1280, 720), 0, 0, cv::INTER_AREA);
  const auto found = pipeline.analyze(frame, 0.5f, true);
  if (found.empty()) {
    std::cerr << "no face in the benchmark frame\n";
    return 1;
  }
  std::vector<faces::FaceBox> boxes1 = {found[0].box}, boxes16;
  std::vector<cv::Mat> chips1 = {faces::identity_chip(frame, found[0].landmarks)}, chips16;
  std::vector<cv::Mat> frames16;
  for (int i = 0; i < 16; ++i) {
    boxes16.push_back(found[i % found.size()].box);
    chips16.push_back(faces::identity_chip(frame, found[i % found.size()].landmarks));
    frames16.push_back(frame);
  }
  const auto* ssd = dynamic_cast<const faces::SsdDetector*>(&pipeline.detector());

  if (argc > 3) { // where the detector's time goes, op by op
    for (int i = 0; i < 2; ++i) pipeline.detector().detect(frame, 0.5f);
    {
      torch::autograd::profiler::RecordProfile trace(argv[3]);
      for (int i = 0; i < 5; ++i) pipeline.detector().detect(frame, 0.5f);
    }
    std::printf("LibTorch profiler trace of 5 detections (%d threads) in %s\n", threads, argv[3]);
    return 0;
  }
  if (std::getenv("CURATOR_BENCH_END_TO_END_ONLY")) { // the child run of the allocator comparison below
    std::printf("%.3f\n", time_it([&] { pipeline.analyze(frame, 0.5f, true); }, 5) * 1000);
    return 0;
  }
  std::printf("curator face models, %d LibTorch threads, 1280x720 frame with %zu faces\n", threads, found.size());
  std::printf("%-28s %10s %12s\n", "stage", "batch", "per second");
  auto report = [](const char* stage, int batch, double seconds, const char* unit) {
    std::printf("%-28s %10d %10.1f %s\n", stage, batch, batch / seconds, unit);
  };
  report("detection (SSD, 512 px)", 1, time_it([&] { pipeline.detector().detect(frame, 0.5f); }, 5), "frames/s");
  if (ssd) report("detection (SSD, 512 px)", 16, time_it([&] { ssd->detect_batch(frames16, 0.5f); }, 2), "frames/s");
  report("landmarks (68, 112 px)", 1, time_it([&] { pipeline.landmarks().locate(frame, boxes1); }, 10), "faces/s");
  report("landmarks (68, 112 px)", 16, time_it([&] { pipeline.landmarks().locate(frame, boxes16); }, 5), "faces/s");
  report("embedding (128-d, 150 px)", 1, time_it([&] { pipeline.embedder().embed(chips1); }, 10), "faces/s");
  report("embedding (128-d, 150 px)", 16, time_it([&] { pipeline.embedder().embed(chips16); }, 5), "faces/s");
  const double end_to_end = time_it([&] { pipeline.analyze(frame, 0.5f, true); }, 5);
  std::printf("end to end, one 720p frame (%zu faces): %.1f ms\n", found.size(), end_to_end * 1000);
  // The same measurement in a child with glibc's default malloc settings (core/allocator.hpp).
  const std::string child = "CURATOR_MALLOC_DEFAULTS=1 CURATOR_BENCH_END_TO_END_ONLY=1 '" + std::string(argv[0]) + "' '" +
                            models.string() + "' " + std::to_string(threads);
  if (FILE* pipe = ::popen(child.c_str(), "r")) {
    double default_ms = 0;
    const bool read = std::fscanf(pipe, "%lf", &default_ms) == 1;
    ::pclose(pipe);
    if (read && default_ms > 0)
      std::printf("end to end with glibc's default malloc settings: %.1f ms (tuned allocator %.2fx faster)\n", default_ms,
                  default_ms / (end_to_end * 1000));
  }
  return 0;
}
