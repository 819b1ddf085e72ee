// The fast face path (the detector on key frames, faces followed between them; opt-in with
// ingest.detect_every) against the full per-frame path, on real clips from shared/data: video/more (all
// folders), lipnet, retalking, sadtalker, eyecantell (real and fake) and the edge cases.
// Issue 18's bar is a fast-path box within IoU 0.8 of the full path's for >= 95% of faces. Where the
// detector's window around a face is cheap (faces that do not fill the frame; here also the clips placed
// in a 1280x720 frame) the follower re-detects in it and meets the bar; where faces fill the frame it
// runs the detector by default, and with ingest.follow_landmarks follows them by landmarks, which reaches
// about 0.82 (the checks hold that measured level). The follower's settings were chosen before
// measuring; the clips measured while building it were every fourth from the first; bench/follow_bench
// measures every fourth from the third, these tests every sixteenth from the third (fewer frames).
#include "ingest/face_follower.hpp"
#include "ingest/follow_eval.hpp"
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

// Ingest samples 32 frames a clip: the spacing that following by landmarks has to bridge. Where the
// follower re-detects in windows the spacing matters little, and half as many frames are enough.
constexpr int kIngestFrames = 32, kFewerFrames = 16;

} // namespace

TEST_CASE("the fast face path against the full path on real clips: boxes, embeddings, no invented faces", "[follow]") {
  CURATOR_SHARED_DATA(data);
  const auto all = ingest::follow_eval_clips(data);
  REQUIRE(all.size() >= 80);
  // Every 24th clip from the third. bench/follow_bench measures every fourth clip, with the default
  // settings too (on faces that fill the frame they run the detector on most frames: 92 of 112 here).
  std::vector<fs::path> clips;
  for (size_t i = 2; i < all.size(); i += 24) clips.push_back(all[i]);

  SECTION("clips as they are (faces fill much of the frame), followed by landmarks (ingest.follow_landmarks)") {
    ingest::FollowTally landmarks;
    for (const auto& clip : clips) {
      INFO(clip);
      ingest::compare_follow(test::face_pipeline(), clip, kIngestFrames, {ingest::fast_follow_settings(true)}, {&landmarks});
    }
    CHECK(landmarks.full_faces > 120);
    WARN(clips.size() << " clips, following by landmarks: " << landmarks.report());
    CHECK(landmarks.share(landmarks.matched) >= 0.78); // measured 0.82; the 0.95 bar is not met this way (see the header)
    CHECK(landmarks.same_person == landmarks.matched);
    CHECK(landmarks.unmatched_fast <= landmarks.full_faces / 4); // the same faces, boxes under IoU 0.8
    CHECK(landmarks.detected <= landmarks.frames / 4);          // the point of it: the detector runs on a minority of frames
  }

  SECTION("the same people small in a 1280x720 frame: re-detected in a window of the detector's input") {
    test::TempDir tmp;
    ingest::FollowTally t;
    for (size_t i = 0; i < clips.size(); i += 2) {
      const auto wide = tmp.path() / (std::to_string(i) + ".mp4");
      const auto made = test::run({"/usr/bin/ffmpeg", "-v", "error", "-y", "-i", clips[i].string(), "-t", "4", "-vf",
                                   "scale=-2:240,pad=1280:720:(ow-iw)/2:(oh-ih)/3", "-c:v", "libx264", "-preset",
                                   "veryfast", "-crf", "18", "-an", wide.string()},
                                  {}, tmp.path());
      INFO(clips[i] << ": " << made.err);
      REQUIRE(made.exit_code == 0);
      ingest::compare_follow(test::face_pipeline(), wide, kFewerFrames, {ingest::fast_follow_settings(false)}, {&t});
    }
    WARN("3 clips in 1280x720, " << t.report());
    CHECK(t.full_faces > 40);
    CHECK(t.share(t.matched) >= 0.95); // the bar
    CHECK(t.same_person == t.matched);
    CHECK(t.detected <= t.frames / 4);
    CHECK(t.fast_seconds < t.full_seconds / 2);
  }

  SECTION("a crowd: as many faces as the full path") {
    ingest::FollowTally crowd;
    ingest::compare_follow(test::face_pipeline(), data / "video/edge/MOT20-05-raw_even_shorter.mp4", kIngestFrames,
                           {ingest::fast_follow_settings(false)}, {&crowd});
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
