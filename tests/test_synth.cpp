// curator synth on real clips from shared/data: every method changes pixels only inside the face region;
// the same seed makes the same fakes; frame count, size and rate are kept; --ingest puts each fake in its
// original's split unit.
#include "core/database.hpp"
#include "ingest/faces/face_pipeline.hpp"
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

#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using namespace curator;

namespace {

// The first `n` frames of a clip, re-encoded losslessly enough to be a fast test input.
fs::path short_clip(const fs::path& source, const fs::path& dir, int n) {
  const auto out = dir / (source.stem().string() + "-short.mp4");
  test::ffmpeg({"-i", source.string(), "-frames:v", std::to_string(n), "-c:v", "libx264", "-crf", "12", "-an",
                out.string()},
               dir);
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

} // namespace

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
    cv::Mat fake;
    switch (method) {
    case synth::Method::blend: fake = synth::blend_face(frame, face.landmarks, donor, rng); break;
    case synth::Method::self_blend: fake = synth::self_blend_face(frame, face.landmarks, rng); break;
    case synth::Method::lowres: fake = synth::lowres_face(frame, face.landmarks, rng); break;
    case synth::Method::swap: fake = synth::swap_face(frame, face.landmarks, donor); break;
    }
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
  const auto original = frames_of(clip), fa = frames_of(a[0].file), fb = frames_of(b[0].file);
  REQUIRE(fa.size() == original.size());
  REQUIRE(fb.size() == original.size());
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
  const auto fc = frames_of(c[0].file);
  double other = 0;
  for (size_t i = 0; i < fa.size(); ++i) other += cv::norm(fa[i], fc[i], cv::NORM_L1) / static_cast<double>(fa[i].total() * 3);
  CHECK(other / fa.size() > same / fa.size());
}

TEST_CASE("curator synth --ingest: fakes of other people's faces land in their originals' split units", "[synth]") {
  CURATOR_SHARED_DATA(data);
  test::TempDir tmp("curator-synth-cli");
  const auto obama = short_clip(data / "deepfake/eyecantell/RealObama.mp4", tmp.path(), 10);
  const auto putin = short_clip(data / "deepfake/eyecantell/RealPutin.mp4", tmp.path(), 10);
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
  std::ifstream manifest(tmp / "fakes" / "manifest.jsonl");
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(manifest, line);) lines.push_back(nlohmann::json::parse(line));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["method"] == "swap");
  CHECK(lines[0]["donor"] == "RealPutin-short.mp4");
  CHECK(lines[1]["donor"] == "RealObama-short.mp4");
  CHECK(lines[0]["frames"] == 10);
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
  core::Database db(tmp / "var" / "curator.db", 5000);
  auto conn = db.connect();
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
