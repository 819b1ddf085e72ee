// VideoDecoder and the sampler built on it: OpenCV's reader's pixels at each index, on every kind of clip;
// unsampled frames skipped only where no frame refers to them, yet counted; seeks that land on their frame.
#include "ingest/frame_sampler.hpp"
#include "ingest/video_decoder.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

#include <catch2/catch.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

using namespace curator;
namespace fs = std::filesystem;

namespace {

// A clip of FFmpeg's moving test pattern (every frame differs), encoded with `codec_args`.
fs::path make_clip(const test::TempDir& tmp, const std::string& name, int frames, std::vector<std::string> codec_args,
                   const std::string& size = "320x240") {
  const auto clip = tmp / name;
  std::vector<std::string> argv = {"/usr/bin/ffmpeg", "-v",   "error", "-y", "-f", "lavfi", "-i",
                                   "testsrc2=size=" + size + ":rate=25", "-frames:v", std::to_string(frames)};
  argv.insert(argv.end(), codec_args.begin(), codec_args.end());
  argv.push_back(clip.string());
  REQUIRE(test::run(argv, {}, tmp.path()).exit_code == 0);
  return clip;
}

// Every frame OpenCV's reader gives, in order, as RGB.
std::vector<cv::Mat> opencv_frames(const fs::path& clip) {
  std::vector<cv::Mat> out;
  cv::VideoCapture cap(clip.string(), cv::CAP_FFMPEG);
  cv::Mat bgr;
  while (cap.read(bgr)) {
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    out.push_back(rgb);
  }
  return out;
}

// The sampler's frames at `count` evenly spaced indices equal OpenCV's at those indices, with and without
// the whole-stream count (which must equal OpenCV's frame count for a clean clip), skipping or not.
void same_as_opencv(const fs::path& clip, int count) {
  INFO(clip.filename().string());
  const auto reference = opencv_frames(clip);
  REQUIRE(reference.size() >= 2);
  const auto n = static_cast<int64_t>(reference.size());
  const auto indices = ingest::sample_indices(n, count, 0);
  for (int mode = 0; mode < 3; ++mode) {
    INFO("mode " << mode << " (0: no count, 1: count with skipping, 2: count decoding every picture)");
    int64_t decoded = -1;
    const auto frames = ingest::sample_frames(clip, indices, 25, mode ? &decoded : nullptr, mode != 2);
    REQUIRE(frames.size() == indices.size());
    for (size_t i = 0; i < frames.size(); ++i) {
      CHECK(frames[i].index == indices[i]);
      const auto& want = reference[static_cast<size_t>(indices[i])];
      REQUIRE(frames[i].rgb.size() == want.size());
      CHECK(cv::norm(frames[i].rgb, want, cv::NORM_INF) == 0);
    }
    if (mode) CHECK(decoded == n);
  }
}

} // namespace

TEST_CASE("the sampler gives OpenCV's reader's pixels at each index, on every kind of clip", "[ingest]") {
  test::TempDir tmp;
  const std::vector<std::string> x264 = {"-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"};
  auto with = [](std::vector<std::string> a, std::vector<std::string> more) {
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  same_as_opencv(make_clip(tmp, "b-frames.mp4", 120, x264), 8);
  same_as_opencv(make_clip(tmp, "b-pyramid-open-gop.mkv", 120, with(x264, {"-g", "30", "-x264opts", "open-gop=1:b-pyramid=strict"})), 8);
  same_as_opencv(make_clip(tmp, "no-b-frames.mkv", 90, with(x264, {"-bf", "0"})), 8);
  same_as_opencv(make_clip(tmp, "hevc.mp4", 60, {"-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-x265-params", "log-level=error"}), 6);
  same_as_opencv(make_clip(tmp, "mpeg4.avi", 90, {"-c:v", "mpeg4", "-bf", "2"}), 8);
  same_as_opencv(make_clip(tmp, "vp9.webm", 60, {"-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"}), 6);
  same_as_opencv(make_clip(tmp, "mjpeg.avi", 40, {"-c:v", "mjpeg", "-pix_fmt", "yuvj420p"}), 6);
  // A phone clip: stored sideways, with a display matrix that turns it upright.
  const auto flat = make_clip(tmp, "flat.mp4", 60, x264);
  const auto turned = tmp / "turned.mp4";
  REQUIRE(test::run({"/usr/bin/ffmpeg", "-v", "error", "-y", "-i", flat.string(), "-c", "copy", "-metadata:s:v:0", "rotate=90",
                     turned.string()},
                    {}, tmp.path())
              .exit_code == 0);
  const auto upright = ingest::sample_frames(turned, {0}, 25);
  REQUIRE(upright.size() == 1);
  CHECK(upright[0].rgb.size() == cv::Size(240, 320));
  same_as_opencv(turned, 6);
}

TEST_CASE("the sampler gives OpenCV's reader's pixels on the real clips", "[ingest]") {
  CURATOR_SHARED_DATA(data);
  std::vector<fs::path> clips;
  for (const auto& e : fs::recursive_directory_iterator(data / "video")) {
    const auto ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".mp4" || ext == ".mpg" || ext == ".flv" || ext == ".avi" || ext == ".mov"))
      clips.push_back(e.path());
  }
  std::sort(clips.begin(), clips.end());
  REQUIRE(clips.size() >= 8);
  // One clip in eight (each kind of container and codec the folder has is among them).
  for (size_t i = 0; i < clips.size(); i += 8) same_as_opencv(clips[i], 8);
}

TEST_CASE("frames that are not wanted and that no frame refers to are parsed, not decoded, and still counted",
          "[ingest]") {
  test::TempDir tmp;
  const std::vector<std::string> x264 = {"-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"};
  const auto b_frames = make_clip(tmp, "b.mp4", 200, x264);
  auto no_b = x264;
  no_b.insert(no_b.end(), {"-bf", "0"});
  const auto p_only = make_clip(tmp, "p.mp4", 200, no_b);
  const auto every_50th = [](int64_t i) { return i % 50 == 0; };

  auto read_all = [&](const fs::path& clip, bool skip) {
    ingest::VideoDecoder decoder(clip);
    REQUIRE(decoder.is_open());
    CHECK(decoder.indexed());
    CHECK(decoder.indexed_frames() == 200);
    std::vector<int64_t> got;
    while (auto f = decoder.next(every_50th, skip)) got.push_back(f->index);
    CHECK(got == std::vector<int64_t>{0, 50, 100, 150});
    CHECK(decoder.frames_read() == 200);
    return decoder.pictures_decoded();
  };
  CHECK(read_all(b_frames, false) == 200);
  const auto skipped = read_all(b_frames, true);
  CHECK(skipped < 200 * 3 / 4); // x264's veryfast makes most frames B-frames that nothing refers to
  CHECK(read_all(p_only, true) == 200); // every P-frame is referred to by the next: nothing to skip
}

TEST_CASE("a seek across a long gap lands on the wanted frame", "[ingest]") {
  test::TempDir tmp;
  const auto clip = make_clip(tmp, "long.mp4", 1000,
                              {"-c:v", "libx264", "-preset", "ultrafast", "-bf", "3", "-pix_fmt", "yuv420p", "-g", "250"},
                              "160x120");
  const auto reference = opencv_frames(clip);
  REQUIRE(reference.size() == 1000);
  const std::vector<int64_t> indices = {3, 620, 998}; // gaps past the sampler's seek threshold
  const auto frames = ingest::sample_frames(clip, indices, 25);
  REQUIRE(frames.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(frames[i].index == indices[i]);
    CHECK(cv::norm(frames[i].rgb, reference[static_cast<size_t>(indices[i])], cv::NORM_INF) == 0);
  }
  ingest::VideoDecoder decoder(clip);
  REQUIRE(decoder.seek(700));
  const auto f = decoder.next([](int64_t) { return true; }, false);
  REQUIRE(f);
  CHECK(f->index == 700); // nothing before the seek's frame comes out
  CHECK(decoder.pictures_decoded() < 300); // it began at the key frame before 700 (500), not at 0
  CHECK(cv::norm(f->rgb, reference[700], cv::NORM_INF) == 0);
  CHECK_FALSE(decoder.seek(1000));
}

TEST_CASE("a file that is not a video opens as nothing", "[ingest]") {
  test::TempDir tmp;
  const auto junk = tmp / "junk.mp4";
  std::ofstream(junk) << "not a video at all";
  ingest::VideoDecoder decoder(junk);
  CHECK_FALSE(decoder.is_open());
  CHECK_FALSE(decoder.next([](int64_t) { return true; }, true));
  int64_t decoded = -1;
  CHECK(ingest::sample_frames(junk, {0, 1}, 25, &decoded).empty());
  CHECK(decoded == 0);
  CHECK(ingest::sample_frames(tmp / "missing.mp4", {0}, 25).empty());
}

TEST_CASE("broken frames are counted: reference frames always, skipped pictures when every picture is decoded",
          "[ingest]") {
  test::TempDir tmp;
  const auto clip = make_clip(tmp, "b.mp4", 200, {"-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"});
  // Where the P- and B-frames' packets lie in the file (FFmpeg's own account of them).
  const auto frames = test::run({"/usr/bin/ffprobe", "-v", "error", "-select_streams", "v", "-show_frames",
                                 "-show_entries", "frame=pict_type,pkt_pos,pkt_size", "-of", "csv=p=0", clip.string()},
                                {}, tmp.path());
  REQUIRE(frames.exit_code == 0);
  std::map<std::string, std::vector<std::pair<size_t, size_t>>> packets; // picture type: position, size
  std::istringstream lines(frames.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string pos, size, type;
    std::getline(fields, pos, ','), std::getline(fields, size, ','), std::getline(fields, type, ',');
    if (pos.empty() || size.empty() || !std::isdigit(static_cast<unsigned char>(pos[0]))) continue; // no packet
    packets[type].emplace_back(std::stoul(pos), std::stoul(size));
  }
  REQUIRE(packets["B"].size() > 60);
  REQUIRE(packets["P"].size() > 20);
  std::ifstream in(clip, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A copy with the NAL and slice headers (past the 4-byte length) of every fifth frame of `type` garbled.
  auto garbled = [&](const std::string& type) {
    std::string copy = bytes;
    std::mt19937 rng(2);
    const auto& list = packets[type];
    for (size_t k = 5; k < list.size(); k += 5)
      for (size_t i = list[k].first + 4; i < list[k].first + 40; ++i) copy[i] = static_cast<char>(rng());
    const auto out = tmp / ("garbled-" + type + ".mp4");
    std::ofstream(out, std::ios::binary) << copy;
    return out;
  };
  const std::vector<int64_t> sampled = {0, 100, 199};
  auto count = [&](const fs::path& video, bool skip) {
    int64_t n = -1;
    ingest::sample_frames(video, sampled, 25, &n, skip);
    return n;
  };
  CHECK(count(clip, true) == 200); // the clean clip: every frame counted, skipped pictures too
  CHECK(count(clip, false) == 200);
  const auto broken_p = garbled("P");
  CHECK(count(broken_p, true) < 200); // reference frames are always decoded
  CHECK(count(broken_p, false) < 200);
  CHECK(count(garbled("B"), false) < 200); // ingest.check_every_picture: skipped pictures' damage too
}

TEST_CASE("damaged and truncated files give fewer frames, never a crash or a frame of the wrong size", "[ingest]") {
  test::TempDir tmp;
  const auto clip = make_clip(tmp, "b.mp4", 100, {"-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"});
  std::ifstream in(clip, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::mt19937 rng(7);
  const std::vector<int64_t> sampled = {0, 20, 40, 60, 80, 99};
  for (int variant = 0; variant < 40; ++variant) {
    std::string copy = bytes;
    if (variant % 4 == 0) {
      copy.resize(rng() % copy.size()); // cut anywhere
    } else { // a burst of random bytes anywhere, the container's header included
      const size_t at = rng() % copy.size(), length = 1 + rng() % 2048;
      for (size_t i = at; i < std::min(copy.size(), at + length); ++i) copy[i] = static_cast<char>(rng());
    }
    const auto damaged = tmp / ("damaged" + std::to_string(variant) + ".mp4");
    std::ofstream(damaged, std::ios::binary) << copy;
    INFO("variant " << variant);
    for (bool skip : {true, false}) {
      int64_t decoded = -1;
      const auto frames = ingest::sample_frames(damaged, sampled, 25, &decoded, skip);
      CHECK(frames.size() <= sampled.size());
      CHECK(decoded >= 0);
      CHECK(decoded <= 100);
      for (const auto& f : frames) {
        CHECK(std::binary_search(sampled.begin(), sampled.end(), f.index));
        CHECK(f.rgb.size() == cv::Size(320, 240));
      }
    }
  }
}
