// FrameStream: the sampled frames of a clip decoded beside the face work, and StreamedClip, which lends
// the decoder one of the face nets' torch threads while it runs.
#include "ingest/faces/torch_threads.hpp"
#include "ingest/frame_stream.hpp"
#include "ingest/video_probe.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace curator;
namespace fs = std::filesystem;

namespace {

fs::path make_clip(const test::TempDir& tmp, int seconds) {
  const auto clip = tmp / ("clip" + std::to_string(seconds) + ".mp4");
  const auto made = test::run({"/usr/bin/ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                               "testsrc2=size=320x240:rate=25:duration=" + std::to_string(seconds), "-c:v", "libx264",
                               "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "25", clip.string()},
                              {}, tmp.path());
  REQUIRE(made.exit_code == 0);
  return clip;
}

// Sets the calling thread's torch threads for a scope.
struct TorchThreads {
  explicit TorchThreads(int n) : before(faces::torch_threads_here()) { faces::set_torch_threads_here(n); }
  ~TorchThreads() { faces::set_torch_threads_here(before); }
  int before;
};

} // namespace

TEST_CASE("a frame stream hands out what sample_frames gives, with signatures and the stream's frame count", "[ingest]") {
  test::TempDir tmp;
  const auto clip = make_clip(tmp, 8);
  const auto info = ingest::probe_video(clip);
  const auto indices = ingest::sample_indices(info.frame_count, 8, 0);
  int64_t decoded = -1;
  const auto expected = ingest::sample_frames(clip, indices, info.fps, &decoded);
  REQUIRE(expected.size() == 8);
  REQUIRE(decoded == 200);
  std::vector<cv::Mat> rgb;
  for (const auto& f : expected) rgb.push_back(f.rgb);
  const auto signatures = ingest::frame_signatures(rgb);

  for (int threads : {2, 1}) {
    INFO(threads << " torch threads");
    const TorchThreads scope(threads);
    ingest::FrameStream stream(clip, indices, info.fps, /*decode_all=*/true);
    if (threads == 1) CHECK_FALSE(stream.decoding()); // one core's share: decoded before the constructor returned
    for (size_t i = 0; i < expected.size(); ++i) {
      const auto* f = stream.wait(i);
      REQUIRE(f != nullptr);
      CHECK(f->frame.index == expected[i].index);
      CHECK(f->frame.time_s == expected[i].time_s);
      CHECK(cv::norm(f->frame.rgb, expected[i].rgb, cv::NORM_INF) == 0);
      CHECK(f->signature.hash == signatures.hashes[i]);
    }
    CHECK(stream.wait(expected.size()) == nullptr);
    CHECK_FALSE(stream.decoding());
    const auto done = stream.finish();
    CHECK(done.decoded_frames == 200);
    REQUIRE(done.frames.size() == expected.size());
    CHECK(done.signatures.hashes == signatures.hashes);
    for (size_t i = 0; i < expected.size(); ++i)
      CHECK(cv::norm(done.signatures.thumbnails[i], signatures.thumbnails[i], cv::NORM_INF) == 0);
  }

  ingest::FrameStream missing(tmp / "no-such.mp4", indices, info.fps, true);
  CHECK(missing.wait(0) == nullptr);
  const auto none = missing.finish();
  CHECK(none.frames.empty());
  CHECK(none.decoded_frames == 0);
}

TEST_CASE("while a stream decodes, the thread following its frames lends the decoder a torch thread", "[ingest]") {
  test::TempDir tmp;
  const auto clip = make_clip(tmp, 60); // 1500 frames: the first sample comes long before the end
  const auto info = ingest::probe_video(clip);
  const auto indices = ingest::sample_indices(info.frame_count, 32, 0);
  {
    const TorchThreads scope(2);
    ingest::FrameStream stream(clip, indices, info.fps, true);
    {
      ingest::StreamedClip frames(stream);
      REQUIRE(frames(0).rgb != nullptr);
      const int during = faces::torch_threads_here();
      REQUIRE(stream.decoding()); // then it was decoding when frames(0) looked, too
      CHECK(during == 1);
      size_t n = 1;
      while (frames(n).rgb) ++n; // the last call finds the stream ended
      CHECK(n == indices.size());
      CHECK(faces::torch_threads_here() == 2);
      faces::set_torch_threads_here(1);
    }
    CHECK(faces::torch_threads_here() == 2); // restored when the StreamedClip goes
  }
  {
    const TorchThreads scope(1); // nothing to lend: decoded up front, one thread throughout
    ingest::FrameStream stream(clip, indices, info.fps, true);
    ingest::StreamedClip frames(stream);
    REQUIRE(frames(0).rgb != nullptr);
    CHECK(faces::torch_threads_here() == 1);
  }
}

TEST_CASE("a frame stream dropped part-way stops decoding at the next frame", "[ingest]") {
  test::TempDir tmp;
  const auto clip = make_clip(tmp, 60);
  const auto info = ingest::probe_video(clip);
  const auto indices = ingest::sample_indices(info.frame_count, 32, 0);
  const TorchThreads scope(2);
  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  const double whole = [&] {
    ingest::FrameStream stream(clip, indices, info.fps, true);
    REQUIRE(stream.finish().decoded_frames == 1500);
    return std::chrono::duration<double>(Clock::now() - t0).count();
  }();
  t0 = Clock::now();
  {
    ingest::FrameStream stream(clip, indices, info.fps, true);
    REQUIRE(stream.wait(0) != nullptr);
  }
  const double dropped = std::chrono::duration<double>(Clock::now() - t0).count();
  INFO("whole stream " << whole << " s, dropped after the first frame " << dropped << " s");
  CHECK(dropped < whole / 3);
}
