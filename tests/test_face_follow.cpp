// The fast face path (the detector on key frames, faces followed between them; opt-in with
// ingest.detect_every) against the full per-frame path, on real clips from shared/data: video/more (all
// folders), lipnet, retalking, sadtalker, eyecantell (real and fake) and the edge cases.
// Issue 18's bar is a fast-path box within IoU 0.8 of the full path's for >= 95% of faces. Where the
// detector's window around a face is cheap (faces that do not fill the frame; here also the clips placed
// in a 1280x720 frame) the follower re-detects in it and meets the bar; where faces fill the frame it
// runs the detector by default, and with ingest.follow_landmarks follows them by landmarks, which reaches
// about 0.82 (the checks hold that measured level). The follower's settings were chosen before
// measuring; the clips measured while building it were every fourth from the first, these are every
// fourth from the third.
#include "ingest/face_follower.hpp"
#include "ingest/faces/chips.hpp"
#include "ingest/frame_sampler.hpp"
#include "ingest/video_checks.hpp"
#include "ingest/video_probe.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <vector>

using namespace curator;
namespace fs = std::filesystem;

namespace {

struct Tally {
  int full_faces = 0, matched = 0, crop_matched = 0, same_person = 0, fast_faces = 0, unmatched_fast = 0;
  std::array<int, 10> iou_deciles{}; ///< best IoU of each full-path face, by tenths
  int frames = 0, detected = 0;
  double full_seconds = 0, fast_seconds = 0; ///< face work only

  double share(int n) const { return full_faces > 0 ? static_cast<double>(n) / full_faces : 0.0; }
  std::string report() const {
    std::ostringstream out;
    out << frames << " frames: full path " << full_faces << " faces in " << full_seconds << " s, fast path "
        << fast_faces << " in " << fast_seconds << " s; box IoU >= 0.8: " << share(matched) << ", crop IoU >= 0.8: "
        << share(crop_matched) << ", same person: " << same_person << " of " << matched
        << "; fast faces without a match: " << unmatched_fast << "; detector on " << detected << " of " << frames
        << " frames; best IoU by tenths " << nlohmann::json(iou_deciles).dump();
    return out.str();
  }
};

ingest::FollowSettings fast_path(bool landmarks) {
  ingest::FollowSettings s;
  s.detect_every = 8;
  s.follow_landmarks = landmarks;
  return s;
}

std::vector<cv::Mat> rgb_of(const std::vector<ingest::SampledFrame>& frames) {
  std::vector<cv::Mat> out;
  for (const auto& f : frames) out.push_back(f.rgb);
  return out;
}

std::vector<uint64_t> hashes_of(const std::vector<ingest::SampledFrame>& frames) {
  std::vector<uint64_t> out;
  for (const auto& f : frames) out.push_back(ingest::dhash(f.rgb));
  return out;
}

void compare_with(const std::vector<ingest::SampledFrame>& frames,
                  const std::vector<std::vector<faces::DetectedFace>>& full_faces, double full_seconds,
                  const ingest::FollowSettings& fast_settings, Tally& t) {
  ingest::FaceFollower fast(test::face_pipeline(), fast_settings);
  const auto fast_faces = fast.follow_clip(rgb_of(frames), hashes_of(frames));
  for (size_t n = 0; n < frames.size(); ++n) {
    const auto& a = full_faces[n];
    const auto& b = fast_faces[n];
    t.full_faces += static_cast<int>(a.size());
    t.fast_faces += static_cast<int>(b.size());
    std::vector<bool> used(b.size(), false);
    for (const auto& fa : a) {
      int best = -1;
      float best_iou = 0;
      for (size_t k = 0; k < b.size(); ++k)
        if (!used[k] && fa.box.iou(b[k].box) > best_iou) best_iou = fa.box.iou(b[k].box), best = static_cast<int>(k);
      ++t.iou_deciles[std::min(9, static_cast<int>(best_iou * 10))];
      if (best < 0) continue;
      // The crop ingest stores: a 1.3x square around the box.
      if (faces::training_crop_box(fa.box).iou(faces::training_crop_box(b[best].box)) >= 0.8f) ++t.crop_matched;
      if (best_iou < 0.8f) continue;
      used[best] = true;
      ++t.matched;
      if (faces::embedding_distance(*fa.embedding, *b[best].embedding) < 0.6f) ++t.same_person;
    }
    for (bool u : used) t.unmatched_fast += u ? 0 : 1;
  }
  t.frames += static_cast<int>(frames.size());
  t.detected += fast.counts().detected;
  t.full_seconds += full_seconds;
  t.fast_seconds += fast.counts().detect_seconds + fast.counts().follow_seconds;
}

// The full path against each fast path of `fast` on the same frames; `tallies` in the same order.
void compare(const fs::path& clip, const std::vector<Tally*>& tallies,
             const std::vector<ingest::FollowSettings>& fast = {fast_path(false)}) {
  const auto info = ingest::probe_video(clip);
  const auto frames = ingest::sample_frames(clip, ingest::sample_indices(info.frame_count, 32, 0), info.fps);
  ingest::FaceFollower full(test::face_pipeline(), ingest::FollowSettings{});
  const auto full_faces = full.follow_clip(rgb_of(frames), hashes_of(frames)); // per frame
  const double full_seconds = full.counts().detect_seconds + full.counts().follow_seconds;
  for (size_t k = 0; k < fast.size(); ++k) compare_with(frames, full_faces, full_seconds, fast[k], *tallies[k]);
}

std::vector<fs::path> real_clips(const fs::path& data) {
  std::vector<fs::path> clips;
  for (const char* dir : {"video/more", "video/lipnet", "video/retalking", "video/sadtalker", "deepfake/eyecantell",
                          "video/edge"})
    for (const auto& e : fs::recursive_directory_iterator(data / dir)) {
      const auto ext = e.path().extension().string();
      if (e.is_regular_file() && (ext == ".mp4" || ext == ".mpg" || ext == ".flv" || ext == ".avi" || ext == ".mov"))
        clips.push_back(e.path());
    }
  std::sort(clips.begin(), clips.end());
  return clips;
}

} // namespace

TEST_CASE("the fast face path against the full path on real clips: boxes, embeddings, no invented faces", "[quality]") {
  CURATOR_SHARED_DATA(data);
  const auto all = real_clips(data);
  REQUIRE(all.size() >= 80);
  // Every eighth clip from the third, with ingest's 32 sampled frames: about three minutes here. (Every
  // fourth, 25 clips, measured 2026-12-07: default 799 of 799 faces matched, by landmarks 0.827; it took
  // 353 s of this group's 600.)
  std::vector<fs::path> clips;
  for (size_t i = 2; i < all.size(); i += 8) clips.push_back(all[i]);

  SECTION("clips as they are (faces fill much of the frame): the default, and following by landmarks") {
    Tally t, landmarks;
    for (const auto& clip : clips) {
      INFO(clip);
      compare(clip, {&t, &landmarks}, {fast_path(false), fast_path(true)});
    }
    WARN(clips.size() << " clips, default settings: " << t.report());
    CHECK(t.full_faces > 250);
    CHECK(t.share(t.matched) >= 0.95); // the bar
    CHECK(t.same_person == t.matched);
    CHECK(t.unmatched_fast <= t.full_faces / 20);

    // ingest.follow_landmarks
    WARN(clips.size() << " clips, following by landmarks: " << landmarks.report());
    CHECK(landmarks.share(landmarks.matched) >= 0.78); // measured 0.82; the 0.95 bar is not met this way (see the header)
    CHECK(landmarks.same_person == landmarks.matched);
    CHECK(landmarks.unmatched_fast <= landmarks.full_faces / 4); // the same faces, boxes under IoU 0.8
    CHECK(landmarks.detected <= landmarks.frames / 4);          // the point of it: the detector runs on a minority of frames
  }

  SECTION("the same people small in a 1280x720 frame: re-detected in a window of the detector's input") {
    test::TempDir tmp;
    Tally t;
    for (size_t i = 0; i < clips.size() && i < 12; i += 2) {
      const auto wide = tmp.path() / (std::to_string(i) + ".mp4");
      const auto made = test::run({"/usr/bin/ffmpeg", "-v", "error", "-y", "-i", clips[i].string(), "-t", "4", "-vf",
                                   "scale=-2:240,pad=1280:720:(ow-iw)/2:(oh-ih)/3", "-c:v", "libx264", "-preset",
                                   "veryfast", "-crf", "18", "-an", wide.string()},
                                  {}, tmp.path());
      INFO(clips[i] << ": " << made.err);
      REQUIRE(made.exit_code == 0);
      compare(wide, {&t});
    }
    WARN("6 clips in 1280x720, " << t.report());
    CHECK(t.full_faces > 150);
    CHECK(t.share(t.matched) >= 0.95); // the bar
    CHECK(t.same_person == t.matched);
    CHECK(t.detected <= t.frames / 4);
    CHECK(t.fast_seconds < t.full_seconds / 2);
  }

  SECTION("a crowd: as many faces as the full path") {
    Tally crowd;
    compare(data / "video/edge/MOT20-05-raw_even_shorter.mp4", {&crowd});
    WARN("MOT20 crowd clip, " << crowd.report());
    CHECK(crowd.full_faces > 0);
    CHECK(std::abs(crowd.fast_faces - crowd.full_faces) <= crowd.full_faces / 20);
  }
}

namespace {

// A 1280x720 mid-grey frame with `photo`'s largest face pasted at (540, 260), scaled so that a square
// 1.6x the face's longer side becomes 200 px: different people at the same place and size.
cv::Mat face_on_grey(const fs::path& photo) {
  cv::Mat bgr = cv::imread(photo.string(), cv::IMREAD_COLOR), rgb;
  REQUIRE(!bgr.empty());
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  const auto found = test::face_pipeline().detector().detect(rgb, 0.5f);
  REQUIRE(!found.empty());
  const auto& b = found[0];
  const float side = 1.6f * std::max(b.width, b.height);
  cv::Rect square(static_cast<int>(b.x + b.width / 2 - side / 2), static_cast<int>(b.y + b.height / 2 - side / 2),
                  static_cast<int>(side), static_cast<int>(side));
  square &= cv::Rect(0, 0, rgb.cols, rgb.rows);
  cv::Mat frame(720, 1280, CV_8UC3, cv::Scalar(128, 128, 128)), face;
  cv::resize(rgb(square), face, cv::Size(200, 200), 0, 0, cv::INTER_AREA);
  face.copyTo(frame(cv::Rect(540, 260, 200, 200)));
  return frame;
}

} // namespace

TEST_CASE("a followed face that becomes another person goes back to the detector, and what followed it is redone", "[faces]") {
  CURATOR_SHARED_DATA(shared);
  const auto a = face_on_grey(shared / "identity/deepface/img1.jpg"), b = face_on_grey(shared / "identity/deepface/img8.jpg");
  std::vector<cv::Mat> frames;
  for (int i = 0; i < 8; ++i) frames.push_back(i < 4 ? a : b);
  std::vector<uint64_t> hashes;
  for (const auto& f : frames) hashes.push_back(ingest::dhash(f));
  ingest::FollowSettings s;
  s.detect_every = 8;
  // Not a scene cut: only the identity check can notice the new person.
  REQUIRE(__builtin_popcountll(hashes[3] ^ hashes[4]) <= s.scene_cut_bits);
  ingest::FaceFollower follower(test::face_pipeline(), s);
  std::vector<size_t> done;
  const auto found = follower.follow_clip(frames, hashes, [&](size_t n) { done.push_back(n); });
  REQUIRE(found.size() == 8);
  for (const auto& f : found) {
    REQUIRE(f.size() == 1);
    REQUIRE(f[0].embedding);
  }
  REQUIRE(found[4][0].box.iou(found[3][0].box) >= s.min_follow_iou); // the box alone would have passed
  const auto& person_a = *found[0][0].embedding;
  const auto& person_b = *found[4][0].embedding;
  CHECK(faces::embedding_distance(person_a, person_b) > s.max_identity_distance);
  for (int i = 1; i < 8; ++i) {
    INFO("frame " << i);
    CHECK(faces::embedding_distance(*found[i][0].embedding, i < 4 ? person_a : person_b) < 0.1);
  }
  const auto c = follower.counts();
  CHECK(c.detected == 2); // frame 0, and frame 4 when the check failed
  CHECK(c.fell_back == 1);
  CHECK(c.followed == 6);
  // Progress: increasing, ending with every frame.
  REQUIRE(!done.empty());
  CHECK(std::is_sorted(done.begin(), done.end()));
  CHECK(std::adjacent_find(done.begin(), done.end()) == done.end());
  CHECK(done.back() == 8);
  CHECK_THROWS_AS(follower.follow_clip(frames, {1, 2}), std::invalid_argument);
}
