// The fast face path (the detector on key frames, faces followed by the landmark net between them; opt-in
// with ingest.detect_every) against the full per-frame path, on real clips from shared/data: video/more
// (all folders), lipnet, retalking, sadtalker, eyecantell (real and fake) and the edge cases.
// Issue 18's bar is a fast-path box with IoU >= 0.8 for >= 95% of the full path's faces; measured at
// detect_every 8 it is 0.82-0.84 (same person for every matched face), so the default stays the full path
// and these checks hold the measured level: a regression of the fast path fails here.
#include "ingest/face_follower.hpp"
#include "ingest/frame_sampler.hpp"
#include "ingest/video_checks.hpp"
#include "ingest/video_probe.hpp"
#include "tests/support/test_data.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <array>

using namespace curator;
namespace fs = std::filesystem;

namespace {

struct Tally {
  int full_faces = 0, matched = 0, same_person = 0, fast_faces = 0, unmatched_fast = 0;
  std::array<int, 10> iou_deciles{}; ///< best IoU of each full-path face, by tenths
  int frames = 0, detected = 0;
};

void compare(const fs::path& clip, int detect_every, Tally& t) {
  const auto info = ingest::probe_video(clip);
  const auto frames = ingest::sample_frames(clip, ingest::sample_indices(info.frame_count, 32, 0), info.fps);
  ingest::FollowSettings full_settings, fast_settings;
  fast_settings.detect_every = detect_every;
  ingest::FaceFollower full(test::face_pipeline(), full_settings), fast(test::face_pipeline(), fast_settings);
  for (const auto& f : frames) {
    const auto hash = ingest::dhash(f.rgb);
    const auto a = full.next(f.rgb, hash);
    const auto b = fast.next(f.rgb, hash);
    t.full_faces += static_cast<int>(a.size());
    t.fast_faces += static_cast<int>(b.size());
    std::vector<bool> used(b.size(), false);
    for (const auto& fa : a) {
      int best = -1;
      float best_iou = 0;
      for (size_t k = 0; k < b.size(); ++k)
        if (!used[k] && fa.box.iou(b[k].box) > best_iou) best_iou = fa.box.iou(b[k].box), best = static_cast<int>(k);
      ++t.iou_deciles[std::min(9, static_cast<int>(best_iou * 10))];
      if (best < 0 || best_iou < 0.8f) continue;
      used[best] = true;
      ++t.matched;
      if (faces::embedding_distance(*fa.embedding, *b[best].embedding) < 0.6f) ++t.same_person;
    }
    for (bool u : used) t.unmatched_fast += u ? 0 : 1;
  }
  t.frames += static_cast<int>(frames.size());
  t.detected += fast.counts().detected;
}

} // namespace

TEST_CASE("the fast face path against the full path on real clips: boxes, embeddings, no invented faces", "[quality]") {
  CURATOR_SHARED_DATA(data);
  std::vector<fs::path> clips;
  for (const char* dir : {"video/more", "video/lipnet", "video/retalking", "video/sadtalker", "deepfake/eyecantell",
                          "video/edge"})
    for (const auto& e : fs::recursive_directory_iterator(data / dir)) {
      const auto ext = e.path().extension().string();
      if (e.is_regular_file() && (ext == ".mp4" || ext == ".mpg" || ext == ".flv" || ext == ".avi" || ext == ".mov"))
        clips.push_back(e.path());
    }
  std::sort(clips.begin(), clips.end());
  REQUIRE(clips.size() >= 80);
  // Every fourth clip, with ingest's 32 sampled frames, to keep the test within a few minutes on 2 cores.
  std::vector<fs::path> some;
  for (size_t i = 0; i < clips.size(); i += 4) some.push_back(clips[i]);
  clips = some;
  Tally t;
  for (const auto& clip : clips) {
    INFO(clip);
    compare(clip, 8, t);
  }
  const double matched = static_cast<double>(t.matched) / t.full_faces;
  const double same = static_cast<double>(t.same_person) / std::max(1, t.matched);
  WARN(clips.size() << " clips, " << t.frames << " frames: full path " << t.full_faces << " faces, fast path "
                    << t.fast_faces << "; matched at IoU >= 0.8: " << matched << ", same person: " << same
                    << ", fast-path faces without a full-path match: " << t.unmatched_fast << "; detector ran on "
                    << t.detected << " of " << t.frames << " frames; best IoU by tenths "
                    << nlohmann::json(t.iou_deciles).dump());
  CHECK(t.full_faces > 500);
  CHECK(matched >= 0.80); // measured 0.82-0.84; the bar, 0.95, is not met (see the header)
  CHECK(same >= 0.99);
  CHECK(t.unmatched_fast <= t.full_faces / 5); // measured 16-19%: the same faces, boxes under IoU 0.8
  CHECK(t.detected <= t.frames / 4); // the point of it: the detector runs on a minority of frames
}
