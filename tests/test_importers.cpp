// Dataset layouts: FaceForensics++, DFDC, Celeb-DF and plain folders, built by the tests.
#include "core/error.hpp"
#include "ingest/importers.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <sstream>

using namespace curator;
namespace fs = std::filesystem;

namespace {

void touch(const fs::path& p) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << "";
}

std::map<std::string, ingest::ImportItem> by_id(const std::vector<ingest::ImportItem>& items) {
  std::map<std::string, ingest::ImportItem> out;
  for (const auto& i : items) out.emplace(i.meta.external_id, i);
  return out;
}

} // namespace

TEST_CASE("FaceForensics++ layout: labels, methods, derived-from pairs and official splits", "[ingest]") {
  test::TempDir dir;
  const auto root = dir / "ffpp";
  for (const char* id : {"000", "003", "010"}) touch(root / "original_sequences/youtube/c23/videos" / (std::string(id) + ".mp4"));
  touch(root / "manipulated_sequences/Deepfakes/c23/videos/000_003.mp4");
  touch(root / "manipulated_sequences/FaceSwap/c23/videos/003_000.mp4");
  touch(root / "manipulated_sequences/Deepfakes/c23/videos/readme.txt");
  fs::create_directories(root / "splits");
  std::ofstream(root / "splits/train.json") << R"([["000", "003"]])";
  std::ofstream(root / "splits/test.json") << R"([["010", "011"]])";
  auto items = by_id(ingest::scan_ffpp(root));
  REQUIRE(items.size() == 5);
  CHECK(items.at("000").meta.label == ingest::Label::real);
  CHECK(items.at("000").meta.official_split == "train");
  CHECK(items.at("010").meta.official_split == "test");
  const auto& fake = items.at("Deepfakes/000_003").meta;
  CHECK(fake.label == ingest::Label::fake);
  CHECK(fake.method == "Deepfakes");
  CHECK(fake.derived_from == std::vector<std::string>{"000", "003"});
  CHECK(fake.official_split == "train");
  CHECK(items.at("FaceSwap/003_000").meta.derived_from == std::vector<std::string>{"003", "000"});
  for (const auto& [id, item] : items) CHECK(item.meta.source == "ffpp");
  CHECK_THROWS_AS(ingest::scan_ffpp(dir / "nothing"), InvalidInput);
}

TEST_CASE("DFDC layout: metadata labels and originals", "[ingest]") {
  test::TempDir dir;
  const auto part = dir / "dfdc/dfdc_train_part_0";
  touch(part / "aaa.mp4");
  touch(part / "bbb.mp4");
  std::ofstream(part / "metadata.json") << R"({"aaa.mp4": {"label": "REAL", "split": "train"},
      "bbb.mp4": {"label": "FAKE", "split": "train", "original": "aaa.mp4"},
      "ccc.mp4": {"label": "FAKE", "original": "aaa.mp4"}})";
  auto items = by_id(ingest::scan_dfdc(dir / "dfdc"));
  REQUIRE(items.size() == 2); // ccc.mp4 is listed but absent
  CHECK(items.at("aaa.mp4").meta.label == ingest::Label::real);
  CHECK(items.at("bbb.mp4").meta.label == ingest::Label::fake);
  CHECK(items.at("bbb.mp4").meta.derived_from == std::vector<std::string>{"aaa.mp4"});
  std::ofstream(part / "metadata.json") << "{broken";
  CHECK_THROWS_AS(ingest::scan_dfdc(dir / "dfdc"), InvalidInput);
}

TEST_CASE("Celeb-DF layout: folders, synthesis sources, official test list", "[ingest]") {
  test::TempDir dir;
  const auto root = dir / "celeb";
  touch(root / "Celeb-real/id0_0001.mp4");
  touch(root / "YouTube-real/00170.mp4");
  touch(root / "Celeb-synthesis/id0_id16_0001.mp4");
  std::ofstream(root / "List_of_testing_videos.txt") << "1 YouTube-real/00170.mp4\n0 Celeb-synthesis/id0_id16_0001.mp4\n";
  auto items = by_id(ingest::scan_celebdf(root));
  REQUIRE(items.size() == 3);
  CHECK(items.at("Celeb-real/id0_0001.mp4").meta.label == ingest::Label::real);
  CHECK(items.at("Celeb-real/id0_0001.mp4").meta.official_split.empty());
  const auto& fake = items.at("Celeb-synthesis/id0_id16_0001.mp4").meta;
  CHECK(fake.label == ingest::Label::fake);
  CHECK(fake.derived_from == std::vector<std::string>{"Celeb-real/id0_0001.mp4"});
  CHECK(fake.official_split == "test");
  CHECK(items.at("YouTube-real/00170.mp4").meta.official_split == "test");
}

TEST_CASE("curator import folder --trusted: labels from folders, operator recorded", "[cli]") {
  CURATOR_SHARED_DATA(data);
  test::TempDir dir;
  const auto root = dir / "set";
  fs::create_directories(root / "real");
  fs::create_directories(root / "fake/batch1");
  fs::create_symlink(data / "deepfake/eyecantell/RealReagan.mp4", root / "real/reagan.mp4");
  fs::create_symlink(data / "deepfake/eyecantell/FakeReagan.mp4", root / "fake/batch1/reagan.mp4");
  const auto bin = test::required_env_path("CURATOR_BIN").string();
  const auto models = test::required_env_path("CURATOR_MODELS_DIR").string();
  auto refused = test::run({bin, "import", "folder", root.string(), "--trusted", "--data-dir", (dir / "var").string()}, {}, dir.path());
  CHECK(refused.exit_code != 0);
  CHECK_THAT(refused.err, Catch::Contains("--operator"));
  auto r = test::run({bin, "import", "folder", root.string(), "--source", "eyecantell", "--trusted", "--operator", "alice",
                      "--wait", "--data-dir", (dir / "var").string(), "--set", "faces.models_dir=" + models},
                     {}, dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::istringstream lines(r.out);
  std::map<std::string, nlohmann::json> by_label;
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);
    by_label[j["label"]] = j;
  }
  REQUIRE(by_label.size() == 2);
  CHECK(by_label["real"]["state"] == "done");
  CHECK(by_label["fake"]["state"] == "done");
  CHECK(by_label["fake"]["trusted"] == true);
  CHECK(by_label["fake"]["source"] == "eyecantell");
  auto status = nlohmann::json::parse(
      test::run({bin, "status", "--json", "--data-dir", (dir / "var").string()}, {}, dir.path()).out);
  CHECK(status["database"]["submissions"]["done"] == 2);
}
