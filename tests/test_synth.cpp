// curator synth: Self-Blended Images on synthetic faces (the fake is the target outside the mask, the
// same params give the same bytes, the published ranges); on real clips from shared/data: every method
// changes pixels only inside the face region; one draw of parameters per clip; the same seed makes the
// same fakes; --ingest stores each original re-encoded exactly as its fake (H.264, yuv420p, same
// settings) and puts each fake in its original's split unit; --donors takes donors from its folder only.
#include "core/database.hpp"
#include "core/error.hpp"
#include "ingest/faces/face_pipeline.hpp"
#include "synth/self_blend.hpp"
#include "synth/synthesizer.hpp"
#include "synth/video_io.hpp"
#include "tests/support/ingest_env.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

#include <SQLiteCpp/Statement.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using namespace curator;

namespace {

// The first `n` frames of a clip, re-encoded losslessly enough to be a fast test input (`filter`: an
// ffmpeg video filter, e.g. a crop).
fs::path short_clip(const fs::path& source, const fs::path& dir, int n, const std::string& filter = "") {
  const auto out = dir / (source.stem().string() + "-short.mp4");
  std::vector<std::string> args = {"-i", source.string(), "-frames:v", std::to_string(n)};
  if (!filter.empty()) args.insert(args.end(), {"-vf", "format=yuv444p," + filter}); // odd sides need 4:4:4
  args.insert(args.end(), {"-c:v", "libx264", "-crf", "12", "-an", out.string()});
  test::ffmpeg(args, dir);
  return out;
}

std::vector<cv::Mat> frames_of(const fs::path& file) {
  synth::FrameReader reader(file);
  std::vector<cv::Mat> out;
  for (cv::Mat f; reader.next(f);) out.push_back(f.clone());
  return out;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<nlohmann::json> manifest_lines(const fs::path& file) {
  std::ifstream in(file);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// A plausible 68-point face `size` px wide centred at `c`: jaw arc, brows, nose, eyes, mouth.
faces::Landmarks68 synthetic_landmarks(cv::Point2f c, float size) {
  faces::Landmarks68 lm;
  const float r = size / 2;
  const auto at = [&](double x, double y) { return cv::Point2f(c.x + static_cast<float>(x * r), c.y + static_cast<float>(y * r)); };
  for (int i = 0; i < 17; ++i) lm[i] = at(std::cos(CV_PI * (1 - i / 16.0)), std::sin(CV_PI * (1 - i / 16.0)));
  for (int i = 0; i < 10; ++i) lm[17 + i] = at(-0.8 + i * 1.6 / 9, -0.5 - 0.05 * std::sin(CV_PI * (i % 5) / 4));
  for (int i = 0; i < 4; ++i) lm[27 + i] = at(0, -0.35 + i * 0.15);
  for (int i = 0; i < 5; ++i) lm[31 + i] = at(-0.2 + i * 0.1, 0.2);
  for (int i = 0; i < 6; ++i) {
    const double a = 2 * CV_PI * i / 6;
    lm[36 + i] = at(-0.4 + 0.15 * std::cos(a), -0.25 + 0.07 * std::sin(a));
    lm[42 + i] = at(0.4 + 0.15 * std::cos(a), -0.25 + 0.07 * std::sin(a));
  }
  for (int i = 0; i < 12; ++i) lm[48 + i] = at(0.35 * std::cos(2 * CV_PI * i / 12), 0.55 + 0.15 * std::sin(2 * CV_PI * i / 12));
  for (int i = 0; i < 8; ++i) lm[60 + i] = at(0.2 * std::cos(2 * CV_PI * i / 8), 0.55 + 0.06 * std::sin(2 * CV_PI * i / 8));
  return lm;
}

// A textured RGB picture (smoothed noise over a gradient): every shift or colour change shows.
cv::Mat textured(cv::Size size, uint64_t seed) {
  cv::Mat noise(size, CV_8UC3), grad(size, CV_8UC3);
  cv::RNG(seed).fill(noise, cv::RNG::UNIFORM, 0, 256);
  cv::GaussianBlur(noise, noise, {5, 5}, 0);
  for (int y = 0; y < size.height; ++y)
    for (int x = 0; x < size.width; ++x)
      grad.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(x * 200 / size.width), 90, static_cast<uchar>(y * 200 / size.height));
  cv::Mat out;
  cv::addWeighted(noise, 0.5, grad, 0.5, 0, out);
  return out;
}

// Pixels (as a 0/255 mask) where two 8-bit 3-channel images differ in any channel.
cv::Mat differs(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat diff, any;
  cv::absdiff(a, b, diff);
  cv::transform(diff, any, cv::Matx13f(1, 1, 1));
  return any > 0;
}

// One video stream's properties as ffprobe reports them.
nlohmann::json probe(const fs::path& file) {
  const auto r = test::run({"/usr/bin/ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "stream=codec_name,profile,pix_fmt,width,height,r_frame_rate,nb_frames", "-of", "json",
                            file.string()},
                           {}, file.parent_path());
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.out).at("streams").at(0);
}

// The encoder's settings line that libx264 writes into the stream ("x264 - core ... options: ...").
std::string x264_settings(const fs::path& file) {
  const std::string bytes = test::read_file(file);
  const auto at = bytes.find("x264 - core");
  if (at == std::string::npos) return {};
  return bytes.substr(at, bytes.find('\0', at) - at);
}

} // namespace

TEST_CASE("self-blend: the fake is the target wherever the mask is 0, and differs inside it", "[synth]") {
  const cv::Mat image = textured({320, 300}, 1);
  const float size = 140;
  const auto lm = synthetic_landmarks({160, 150}, size);
  const cv::Rect2f box = cv::boundingRect(std::vector<cv::Point2f>(lm.begin(), lm.end()));
  // Everything farther than half the face size from the landmarks' box.
  cv::Mat far = cv::Mat::ones(image.size(), CV_8U);
  far(cv::Rect(cvFloor(box.x - size / 2), cvFloor(box.y - size / 2), cvCeil(box.width + size) + 1,
               cvCeil(box.height + size) + 1) & cv::Rect({}, image.size()))
      .setTo(0);
  REQUIRE(cv::countNonZero(far) > 0);
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    INFO("seed " << seed);
    std::mt19937_64 rng(seed);
    const auto p = synth::draw_self_blend(rng);
    const auto out = synth::self_blend(image, lm, p);
    REQUIRE(out.image.size() == image.size());
    REQUIRE(out.image.type() == CV_8UC3);
    REQUIRE(out.mask.type() == CV_32F);
    REQUIRE(out.target.size() == image.size());
    if (p.transform_source) CHECK(cv::countNonZero(differs(out.target, image)) == 0);
    const cv::Mat changed = differs(out.image, out.target);
    CHECK(cv::countNonZero(changed & (out.mask == 0)) == 0); // byte-identical where the mask is 0
    const cv::Mat core = out.mask > 0.2;
    CHECK(cv::countNonZero(changed & core) > cv::countNonZero(core) / 4); // the face did change
    double lo, hi;
    cv::minMaxLoc(out.mask, &lo, &hi);
    CHECK(lo >= 0);
    CHECK(hi <= p.blend_ratio + 1e-6);
    CHECK(hi > 0.5 * p.blend_ratio);
    CHECK(cv::countNonZero((out.mask > 0) & far) == 0); // nothing far outside the face
  }
}

TEST_CASE("self-blend: the same params give the same bytes, following the face; other seeds other images", "[synth]") {
  const cv::Mat image = textured({300, 300}, 2);
  const auto lm = synthetic_landmarks({140, 150}, 120);
  std::mt19937_64 rng(7);
  const auto p = synth::draw_self_blend(rng);
  const auto a = synth::self_blend(image, lm, p), b = synth::self_blend(image, lm, p);
  CHECK(cv::norm(a.image, b.image, cv::NORM_INF) == 0);
  CHECK(cv::norm(a.mask, b.mask, cv::NORM_INF) == 0);
  CHECK(cv::norm(a.target, b.target, cv::NORM_INF) == 0);
  // The face moved by (12, -9): the mask moves with it, unchanged in shape.
  const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, 12, 0, 1, -9);
  cv::Mat moved_image;
  cv::warpAffine(image, moved_image, shift, image.size());
  auto moved_lm = lm;
  for (auto& q : moved_lm) q += cv::Point2f(12, -9);
  const auto m = synth::self_blend(moved_image, moved_lm, p);
  cv::Mat expected;
  cv::warpAffine(a.mask, expected, shift, image.size());
  CHECK(cv::norm(m.mask, expected, cv::NORM_INF) < 0.02);
  // Other draws, other fakes.
  std::set<std::vector<uchar>> seen;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    std::mt19937_64 other(seed);
    const auto o = synth::self_blend(image, lm, synth::draw_self_blend(other));
    seen.insert(std::vector<uchar>(o.image.datastart, o.image.dataend));
  }
  CHECK(seen.size() == 6);
  // The seed alone (the mask's elastic deformation) changes the mask.
  auto reseeded = p;
  reseeded.seed = p.seed + 1;
  CHECK(cv::norm(synth::self_blend(image, lm, reseeded).mask, a.mask, cv::NORM_INF) > 0);
}

TEST_CASE("self-blend: parameters are drawn from the published ranges and lists", "[synth]") {
  std::mt19937_64 rng(3);
  std::map<double, int> ratios;
  std::set<int> hulls, blurs;
  std::set<double> factors;
  int n = 3000, sources = 0, downscales = 0, rgb = 0;
  for (int i = 0; i < n; ++i) {
    const auto p = synth::draw_self_blend(rng);
    ++ratios[p.blend_ratio];
    hulls.insert(p.hull), blurs.insert(p.blur1), blurs.insert(p.blur2), factors.insert(p.downscale_factor);
    sources += p.transform_source, downscales += p.downscale, rgb += p.rgb_shift[0] != 0;
    REQUIRE(p.scale >= 0.95);
    REQUIRE(p.scale <= 1 / 0.95);
    REQUIRE(std::abs(p.shift_x) <= 0.03);
    REQUIRE(std::abs(p.shift_y) <= 0.015);
    REQUIRE(std::abs(p.brightness) <= 0.1);
    REQUIRE(std::abs(p.contrast) <= 0.1);
    REQUIRE(std::abs(p.rgb_shift[1]) <= 20);
    REQUIRE(p.mask_resize >= 192.0 / 256);
    REQUIRE(p.mask_resize <= 1.0);
    REQUIRE(p.sharpen_alpha >= 0.2);
    REQUIRE(p.sharpen_alpha <= 0.5);
  }
  REQUIRE(ratios.size() == 4); // exactly 0.25, 0.5, 0.75, 1
  for (const double r : {0.25, 0.5, 0.75}) CHECK(ratios[r] == Approx(n / 6.0).margin(n * 0.04));
  CHECK(ratios[1.0] == Approx(n / 2.0).margin(n * 0.05));
  CHECK(hulls == std::set<int>{0, 1, 2, 3});
  CHECK(blurs == std::set<int>{5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25});
  CHECK(factors == std::set<double>{0.25, 0.5});
  CHECK(sources == Approx(n / 2.0).margin(n * 0.05));
  CHECK(downscales == Approx(n / 2.0).margin(n * 0.05));
  CHECK(rgb == Approx(n * 0.3).margin(n * 0.05));
}

TEST_CASE("self-blend: bad input is refused; a face off the image gives the image back", "[synth]") {
  const cv::Mat image = textured({200, 200}, 3);
  const auto lm = synthetic_landmarks({100, 100}, 90);
  const synth::SelfBlendParams p;
  CHECK_THROWS_AS(synth::self_blend(cv::Mat(), lm, p), InvalidInput);
  CHECK_THROWS_AS(synth::self_blend(cv::Mat(50, 50, CV_8UC1, cv::Scalar(0)), lm, p), InvalidInput);
  auto even_blur = p;
  even_blur.blur1 = 6;
  CHECK_THROWS_AS(synth::self_blend(image, lm, even_blur), InvalidInput);
  auto big_ratio = p;
  big_ratio.blend_ratio = 1.5;
  CHECK_THROWS_AS(synth::self_blend(image, lm, big_ratio), InvalidInput);
  const auto off = synth::self_blend(image, synthetic_landmarks({-500, -500}, 90), p);
  CHECK(cv::norm(off.image, image, cv::NORM_INF) == 0);
  CHECK(cv::countNonZero(off.mask) == 0);
}

TEST_CASE("every synth method changes a real frame only inside the face region", "[synth]") {
  CURATOR_SHARED_DATA(data);
  const auto pipeline = test::shared_face_models();
  const auto frame = frames_of(data / "deepfake/eyecantell/RealObama.mp4").at(10);
  const auto donor_frame = frames_of(data / "deepfake/eyecantell/RealPutin.mp4").at(10);
  const auto face = pipeline->get().analyze(frame, 0.5f, false).at(0);
  const auto donor_face = pipeline->get().analyze(donor_frame, 0.5f, false).at(0);
  const synth::Donor donor{donor_frame, donor_face.landmarks, "RealPutin.mp4"};
  const cv::Rect region = synth::face_region(frame.size(), face.landmarks);
  for (const auto method : {synth::Method::blend, synth::Method::self_blend, synth::Method::lowres, synth::Method::swap}) {
    INFO(synth::method_name(method));
    synth::Rng rng(3);
    auto params = synth::draw_clip(method, rng);
    params.self_blend.transform_source = true; // the other branch changes the target, the whole frame
    params.self_blend.blend_ratio = 1.0;       // a visible change
    const cv::Mat fake = synth::manipulate(frame, face.landmarks, params, &donor);
    REQUIRE(fake.size() == frame.size());
    cv::Mat diff, grey;
    cv::absdiff(fake, frame, diff);
    cv::cvtColor(diff, grey, cv::COLOR_RGB2GRAY);
    cv::Mat outside = grey.clone();
    outside(region).setTo(0);
    CHECK(cv::countNonZero(outside) == 0); // not one pixel outside the face region
    CHECK(cv::mean(grey(region))[0] > 1.0); // and the face really changed
  }
}

TEST_CASE("synth: parameters are drawn once per clip, so a still clip gives the same fake on every frame", "[synth]") {
  CURATOR_SHARED_DATA(data);
  test::TempDir tmp("curator-synth-still");
  test::ffmpeg({"-i", (data / "video/lipnet/bbaf2n.mpg").string(), "-vf", "select=eq(n\\,10)", "-frames:v", "1",
                (tmp / "still.png").string()},
               tmp.path());
  const auto still = tmp / "still.mp4"; // six identical frames (lossless)
  test::ffmpeg({"-loop", "1", "-i", (tmp / "still.png").string(), "-frames:v", "6", "-c:v", "libx264", "-qp", "0",
                "-pix_fmt", "yuv444p", still.string()},
               tmp.path());
  synth::SynthOptions o;
  o.method = synth::Method::self_blend;
  o.seed = 4;
  const auto items = synth::Synthesizer(test::shared_face_models()->get(), o).run({still}, tmp / "out");
  REQUIRE(items.size() == 1);
  REQUIRE(items[0].faces_changed == 6);
  const auto& params = items[0].params;
  CHECK(params.at("blend_ratio").get<double>() > 0);
  CHECK(params.at("seed").is_number_unsigned());
  const auto original = frames_of(still), fake = frames_of(items[0].file);
  REQUIRE(fake.size() == 6);
  const auto face = test::shared_face_models()->get().analyze(original[0], 0.5f, false).at(0);
  const cv::Rect region = synth::face_region(original[0].size(), face.landmarks);
  const auto mean_diff = [&](const cv::Mat& a, const cv::Mat& b) {
    return cv::norm(a(region), b(region), cv::NORM_L1) / static_cast<double>(region.area() * 3);
  };
  CHECK(mean_diff(fake[0], original[0]) > 1.0); // a fake
  for (size_t i = 1; i < fake.size(); ++i) {
    INFO("frame " << i);
    CHECK(mean_diff(fake[i], fake[0]) < 0.3); // the same fake, up to the encoder
  }
}

TEST_CASE("synth: the same seed gives the same fakes, with the source's frames, size and rate", "[synth]") {
  CURATOR_SHARED_DATA(data);
  test::TempDir tmp("curator-synth");
  const auto clip = short_clip(data / "video/lipnet/bbaf2n.mpg", tmp.path(), 12);
  synth::SynthOptions o;
  o.method = synth::Method::self_blend;
  o.seed = 11;
  synth::Synthesizer synthesizer(test::shared_face_models()->get(), o);
  const auto a = synthesizer.run({clip}, tmp / "a");
  const auto b = synthesizer.run({clip}, tmp / "b");
  synth::write_manifest(a, tmp / "a.jsonl"), synth::write_manifest(b, tmp / "b.jsonl");
  CHECK(read_text(tmp / "a.jsonl") == read_text(tmp / "b.jsonl"));
  REQUIRE(a.size() == 1);
  CHECK(a[0].frames == 12);
  CHECK(a[0].faces_changed == 12);
  CHECK(manifest_lines(tmp / "a.jsonl").at(0).at("params") == a[0].params);
  const auto original = frames_of(clip), fa = frames_of(a[0].file), fb = frames_of(b[0].file);
  REQUIRE(fa.size() == original.size());
  REQUIRE(fb.size() == original.size());
  CHECK(frames_of(a[0].original).size() == original.size());
  synth::FrameReader src(clip), fake(a[0].file);
  CHECK(fake.size() == src.size());
  CHECK(fake.fps() == Approx(src.fps()).epsilon(0.001));
  double same = 0, changed = 0;
  for (size_t i = 0; i < fa.size(); ++i) {
    same += cv::norm(fa[i], fb[i], cv::NORM_L1) / static_cast<double>(fa[i].total() * 3);
    changed += cv::norm(fa[i], original[i], cv::NORM_L1) / static_cast<double>(fa[i].total() * 3);
  }
  CHECK(same / fa.size() < 0.5);   // the same seed: the same frames, up to the encoder
  CHECK(changed / fa.size() > 0.5); // yet not the original
  // Another seed makes another fake.
  o.seed = 12;
  const auto c = synth::Synthesizer(test::shared_face_models()->get(), o).run({clip}, tmp / "c");
  CHECK(c[0].params != a[0].params);
  const auto fc = frames_of(c[0].file);
  double other = 0;
  for (size_t i = 0; i < fa.size(); ++i) other += cv::norm(fa[i], fc[i], cv::NORM_L1) / static_cast<double>(fa[i].total() * 3);
  CHECK(other / fa.size() > same / fa.size());
}

TEST_CASE("curator synth --ingest: reals re-encoded as their fakes, fakes in their originals' split units", "[synth]") {
  CURATOR_SHARED_DATA(data);
  test::TempDir tmp("curator-synth-cli");
  // An odd-sized original: both it and its fake must come out even-sized and yuv420p.
  const auto obama = short_clip(data / "deepfake/eyecantell/RealObama.mp4", tmp.path(), 8,
                                "crop=trunc(iw/2)*2-1:trunc(ih/2)*2-1");
  const auto putin = short_clip(data / "deepfake/eyecantell/RealPutin.mp4", tmp.path(), 8);
  REQUIRE(probe(obama)["width"].get<int>() % 2 == 1);
  const std::string bin = test::required_env_path("CURATOR_BIN").string();
  const std::vector<std::string> common = {"--data-dir", (tmp / "var").string(), "--set",
                                           "faces.models_dir=" + test::models_root().string(), "--set", "log.level=warn"};
  std::vector<std::string> argv = {bin, "synth", "--method", "swap", "--seed", "5", "--out", (tmp / "fakes").string(),
                                   "--ingest", "--source", "synth-swap", "--original-source", "eyecantell",
                                   "--operator", "test", "--wait", obama.string(), putin.string()};
  argv.insert(argv.end(), common.begin(), common.end());
  test::Process p(argv, {}, tmp / "synth");
  const auto code = p.wait(std::chrono::minutes(10));
  REQUIRE(code.has_value());
  INFO(p.stderr_text());
  REQUIRE(*code == 0);
  // The manifest: one line a fake, naming its original and a donor who is someone else.
  const auto lines = manifest_lines(tmp / "fakes" / "manifest.jsonl");
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["method"] == "swap");
  CHECK(lines[0]["donor"] == "RealPutin-short.mp4");
  CHECK(lines[1]["donor"] == "RealObama-short.mp4");
  CHECK(lines[0]["original"] == "RealObama-short.original.mp4");
  CHECK(lines[0]["frames"] == 8);
  // The stored blobs: each real is the re-encode, made exactly as its fake.
  core::Database db(tmp / "var" / "curator.db", 5000);
  auto conn = db.connect();
  SQLite::Statement blobs(*conn, "SELECT o.blob_sha256, f.blob_sha256 FROM submission_relations r JOIN submissions f ON "
                                 "f.id = r.submission_id JOIN submissions o ON '#' || o.id = r.derived_from "
                                 "WHERE o.claimed_label = 'real' AND f.claimed_label = 'fake'");
  int stored = 0;
  while (blobs.executeStep()) {
    const auto blob = [&](int column) {
      const std::string sha = blobs.getColumn(column).getString();
      return tmp / "var" / "blobs" / "sha256" / sha.substr(0, 2) / sha;
    };
    const auto real = probe(blob(0)), fake = probe(blob(1));
    INFO(real.dump() << " / " << fake.dump());
    for (const auto& s : {real, fake}) {
      CHECK(s["codec_name"] == "h264");
      CHECK(s["pix_fmt"] == "yuv420p");
      CHECK(s["width"].get<int>() % 2 == 0);
      CHECK(s["height"].get<int>() % 2 == 0);
    }
    for (const char* key : {"profile", "width", "height", "r_frame_rate", "nb_frames"}) CHECK(real[key] == fake[key]);
    const auto settings = x264_settings(blob(0));
    CHECK(settings.find("crf=18.0") != std::string::npos);
    CHECK(settings == x264_settings(blob(1)));
    ++stored;
  }
  CHECK(stored == 2);
  // Splits: each fake with its original, the two people apart.
  std::vector<std::string> refresh = {bin, "dataset", "refresh", "--json"};
  refresh.insert(refresh.end(), common.begin(), common.end());
  const auto r = test::run(refresh, {}, tmp.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto sum = nlohmann::json::parse(r.out);
  CHECK(sum["videos"] == 4);
  CHECK(sum["relation_links"] == 2);
  // A swap shows the donor's face, so grouping may also join it to the donor; it must join its original.
  SQLite::Statement q(*conn, "SELECT f.group_key AS fake_group, o.group_key AS original_group FROM submission_relations "
                             "r JOIN dataset_videos f ON f.submission_id = r.submission_id JOIN dataset_videos o ON "
                             "'#' || o.submission_id = r.derived_from");
  int pairs = 0;
  while (q.executeStep()) {
    CHECK(q.getColumn("fake_group").getString() == q.getColumn("original_group").getString());
    ++pairs;
  }
  CHECK(pairs == 2);
}

TEST_CASE("curator synth --donors: donors come only from the given folder", "[synth]") {
  CURATOR_SHARED_DATA(data);
  test::TempDir tmp("curator-synth-donors");
  const auto obama = short_clip(data / "deepfake/eyecantell/RealObama.mp4", tmp.path(), 3);
  const auto reagan = short_clip(data / "deepfake/eyecantell/RealReagan.mp4", tmp.path(), 3);
  fs::create_directories(tmp / "donors");
  short_clip(data / "deepfake/eyecantell/RealPutin.mp4", tmp / "donors", 2);
  fs::copy_file(data / "identity/deepface/img1.jpg", tmp / "donors" / "img1.jpg");
  // The command line refuses a folder that is not there, naming the option.
  const std::string bin = test::required_env_path("CURATOR_BIN").string();
  const auto missing = test::run({bin, "synth", "--method", "blend", "--out", (tmp / "fakes").string(), "--donors",
                                  (tmp / "nowhere").string(), obama.string(), reagan.string(), "--data-dir",
                                  (tmp / "var").string(), "--set", "log.level=warn"},
                                 {}, tmp.path());
  CHECK(missing.exit_code != 0);
  CHECK(missing.err.find("--donors") != std::string::npos);
  // Each input shows someone else than the other, yet the donors come from the folder only.
  synth::SynthOptions o;
  o.method = synth::Method::blend;
  o.seed = 2;
  o.donors = synth::find_donor_files(tmp / "donors");
  REQUIRE(o.donors.size() == 2);
  const auto items = synth::Synthesizer(test::shared_face_models()->get(), o).run({obama, reagan}, tmp / "fakes");
  synth::write_manifest(items, tmp / "fakes" / "manifest.jsonl");
  const auto lines = manifest_lines(tmp / "fakes" / "manifest.jsonl");
  REQUIRE(lines.size() == 2);
  for (const auto& line : lines) {
    INFO(line.dump());
    const std::string donor = line.at("donor").get<std::string>();
    CHECK((donor == "RealPutin-short.mp4" || donor == "img1.jpg")); // never the other input
    CHECK(line.at("params").contains("field_seed"));
  }
}
