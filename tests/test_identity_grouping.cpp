// Identity grouping on real labelled clips, through the operator's command: `curator dataset eval-grouping`
// ingests shared/data's 70 labelled talking-head clips (51 people) plus the eyecantell originals of two of
// them, groups them with the shipped settings and must keep every person in one group and no two people
// together, on each half of the identities (the settings were chosen on half 0; half 1 is held out).
#include "dataset/grouping_eval.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

using namespace curator;
namespace fs = std::filesystem;

namespace {

// video/more/IDENTITIES.tsv as eval-grouping's `path<TAB>identity`, plus eyecantell's Obama and Reagan.
// One correction: styletalk's furious_talk1 and furious_talk2 are labelled as two people, but their frames
// show the same man (face, hair, voice-over style; two recording sessions), and every embedding measured
// puts them closer than most same-person pairs (docs/identity-grouping.md), so they count as one here.
fs::path labels_file(const fs::path& data, const fs::path& dir) {
  std::ifstream in(data / "video/more/IDENTITIES.tsv");
  REQUIRE(in);
  const fs::path out_path = dir / "labels.tsv";
  std::ofstream out(out_path);
  out << "path\tidentity\n";
  std::string line;
  std::getline(in, line); // header
  int rows = 0;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string path, identity;
    std::getline(fields, path, '\t');
    std::getline(fields, identity, '\t');
    if (identity == "styletalk_furious_talk2") identity = "styletalk_furious_talk1";
    out << (data / path).string() << "\t" << identity << "\n";
    ++rows;
  }
  REQUIRE(rows == 70);
  out << (data / "deepfake/eyecantell/RealObama.mp4").string() << "\tbarack_obama\n";
  out << (data / "deepfake/eyecantell/RealReagan.mp4").string() << "\tronald_reagan\n";
  return out_path;
}

nlohmann::json eval(const fs::path& labels, const fs::path& scratch, const std::vector<std::string>& extra,
                    const fs::path& logs) {
  std::vector<std::string> argv{test::required_env_path("CURATOR_BIN").string(), "dataset", "eval-grouping",
                                labels.string(), "--json", "--scratch", scratch.string(),
                                // 8 frames a clip keep the test near one minute; the shipped 32 give the
                                // same groups (docs/identity-grouping.md).
                                "--set", "ingest.sample_frames=8",
                                "--set", "faces.models_dir=" + test::required_env_path("CURATOR_MODELS_DIR").string(),
                                "--set", "log.level=warn"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  test::Process p(argv, {}, logs);
  const auto code = p.wait(std::chrono::minutes(10));
  REQUIRE(code.has_value());
  INFO(p.stderr_text());
  REQUIRE(*code == 0);
  return nlohmann::json::parse(p.stdout_text());
}

} // namespace

TEST_CASE("labelled clips: one group per person on both halves of the identities", "[identity]") {
  CURATOR_SHARED_DATA(data);
  test::TempDir tmp("curator-identity");
  const auto labels = labels_file(data, tmp.path());
  const auto scratch = tmp.path() / "scratch";
  // All clips once: ingest fills the scratch folder, which the halves below reuse.
  const auto all = eval(labels, scratch, {}, tmp.path() / "all");
  INFO(all.dump(1));
  CHECK(all["items"] == 72);
  CHECK(all["people"] == 50);
  CHECK(all["without_face"] == 0);
  for (int half : {0, 1}) {
    const auto r = eval(labels, scratch, {"--half", std::to_string(half)}, tmp.path() / ("half" + std::to_string(half)));
    INFO("half " << half << ": " << r.dump(1));
    CHECK(r["video"]["f1"].get<double>() >= 0.95);
    CHECK(r["face"]["f1"].get<double>() >= 0.95);
    CHECK(r["multi_person_share"].get<double>() == 0.0);
    CHECK(r["largest_group_people"] == 1);
  }
  // The old rule (single linkage) chains people on the same vectors: the test can tell the two apart.
  const auto single = eval(labels, scratch, {"--set", "dataset.group_linkage=single", "--set",
                                             "dataset.group_threshold=0.36", "--set", "dataset.group_face_noise=0"},
                           tmp.path() / "single");
  INFO(single.dump(1));
  CHECK(single["largest_group_people"].get<int>() >= 3);
}

TEST_CASE("eval-grouping refuses a labels file without its header", "[identity]") {
  test::TempDir tmp("curator-identity-bad");
  {
    std::ofstream(tmp.path() / "bad.tsv") << "some/file.mp4\tsomeone\n";
  }
  const auto r = test::run({test::required_env_path("CURATOR_BIN").string(), "dataset", "eval-grouping",
                            (tmp.path() / "bad.tsv").string(), "--data-dir", (tmp.path() / "var").string()},
                           {}, tmp.path());
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("header 'path<TAB>identity'") != std::string::npos);
}

TEST_CASE("grouping scores with nothing to measure are NaN, not perfect", "[dataset]") {
  auto track = [](int axis) {
    dataset::EvalTrack t;
    t.identity[static_cast<size_t>(axis)] = 1; // orthogonal unit vectors: never grouped
    return t;
  };
  const dataset::GroupingOptions options; // the shipped defaults
  // Two people, a photo each: no same-person pair and no pair grouped.
  const auto strangers = dataset::evaluate_grouping({{"a.jpg", "ann", {track(0)}}, {"b.jpg", "bob", {track(1)}}}, options);
  CHECK(std::isnan(strangers.face.precision));
  CHECK(std::isnan(strangers.face.recall));
  CHECK(std::isnan(strangers.face.f1));
  CHECK(strangers.groups == 2);
  // One person twice, never linked: recall 0 (measured), precision NaN (nothing grouped), F1 0.
  const auto missed = dataset::evaluate_grouping({{"a.jpg", "ann", {track(0)}}, {"b.jpg", "ann", {track(1)}}}, options);
  CHECK(missed.face.recall == 0);
  CHECK(std::isnan(missed.face.precision));
  CHECK(missed.face.f1 == 0);
  // Linked: both 1.
  const auto found = dataset::evaluate_grouping({{"a.jpg", "ann", {track(0)}}, {"b.jpg", "ann", {track(0)}}}, options);
  CHECK(found.face.precision == 1);
  CHECK(found.face.recall == 1);
}
