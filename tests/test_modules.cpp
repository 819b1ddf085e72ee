// The first pieces of the upper modules: dataset split buckets, labeling passwords, ingest video probe,
// retrain's LibTorch runtime.
#include "core/error.hpp"
#include "dataset/split.hpp"
#include "ingest/video_probe.hpp"
#include "labeling/password.hpp"
#include "retrain/torch_runtime.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <map>

using namespace curator;

TEST_CASE("split buckets are deterministic and close to the fractions", "[modules]") {
  std::map<dataset::Split, int> counts;
  constexpr int n = 60000;
  for (int i = 0; i < n; ++i) counts[dataset::bucket_split("group-" + std::to_string(i), 1.0 / 6, 0.1)]++;
  CHECK(counts[dataset::Split::test] == Approx(n / 6.0).epsilon(0.03));
  CHECK(counts[dataset::Split::val] == Approx(n * 0.1).epsilon(0.04));
  // Pinned values (from python3's hashlib: the first 52 bits of sha256(key) / 2^52): splits never move,
  // across runs, builds and machines.
  CHECK(dataset::stable_unit("a") == Approx(0.7913742705223814).epsilon(1e-15));
  CHECK(dataset::stable_unit("group-42") == Approx(0.08706974994061656).epsilon(1e-15));
  CHECK(dataset::bucket_split("group-42", 1.0 / 6, 0.1) == dataset::Split::test);
  CHECK(dataset::bucket_split("group-7", 1.0 / 6, 0.1) == dataset::Split::val);
  CHECK(dataset::bucket_split("a", 1.0 / 6, 0.1) == dataset::Split::train);
  CHECK(dataset::bucket_split("x", 0, 0) == dataset::Split::train);
  CHECK(dataset::bucket_split("x", 1, 0) == dataset::Split::test);
  CHECK_THROWS_AS(dataset::bucket_split("x", 0.9, 0.2), InvalidInput);
  CHECK(dataset::parse_split("val") == dataset::Split::val);
  CHECK_THROWS_AS(dataset::parse_split("holdout"), InvalidInput);
}

TEST_CASE("passwords hash with argon2id and verify", "[modules]") {
  auto cost = labeling::PasswordCost::minimum();
  std::string h1 = labeling::hash_password("correct horse", cost);
  std::string h2 = labeling::hash_password("correct horse", cost);
  CHECK(h1.rfind("$argon2id$", 0) == 0);
  CHECK(h1 != h2); // salted
  CHECK(labeling::verify_password(h1, "correct horse"));
  CHECK_FALSE(labeling::verify_password(h1, "correct horsE"));
  CHECK_FALSE(labeling::verify_password("garbage", "correct horse"));
  CHECK_THROWS_AS(labeling::hash_password("", cost), InvalidInput);
  CHECK_THROWS_AS(labeling::hash_password(std::string(2000, 'x'), cost), InvalidInput);
}

TEST_CASE("LibTorch runs with the configured thread count", "[modules]") {
  retrain::configure_torch(1);
  CHECK(retrain::torch_runtime_info().threads == 1);
  retrain::configure_torch(2);
  auto info = retrain::torch_runtime_info();
  CHECK(info.threads == 2);
  CHECK(info.version.rfind("1.", 0) == 0); // the Debian 12 package (1.13); 2.x needs the build notes revisited
}

TEST_CASE("probing rejects what is not a video with a reason", "[modules]") {
  test::TempDir dir;
  std::ofstream(dir / "notes.mp4") << "this is plain text, not a video";
  try {
    ingest::probe_video(dir / "notes.mp4");
    FAIL("a text file was accepted as a video");
  } catch (const InvalidInput& e) {
    CHECK_THAT(e.what(), Catch::Contains("FFmpeg"));
  }
  CHECK_THROWS_AS(ingest::probe_video(dir / "absent.mp4"), NotFound);
}

TEST_CASE("probing real clips reports their geometry, rate and length", "[data]") {
  CURATOR_SHARED_DATA(data);
  auto lipnet = data / "video" / "lipnet";
  REQUIRE(std::filesystem::is_directory(lipnet));
  int probed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(lipnet)) {
    if (entry.path().extension() != ".mpg") continue;
    auto info = ingest::probe_video(entry.path());
    INFO(entry.path().string());
    CHECK(info.width == 360);
    CHECK(info.height == 288);
    CHECK(info.fps == Approx(25).epsilon(0.01));
    CHECK(info.duration_s == Approx(3).margin(0.2));
    ++probed;
  }
  CHECK(probed >= 5);
  auto five = ingest::probe_video(data / "video" / "edge" / "five-frames.mp4");
  CHECK(five.frame_count == 5);
  auto crowd = ingest::probe_video(data / "video" / "edge" / "MOT20-05-raw_even_shorter.mp4");
  CHECK(crowd.width == 826);
  CHECK(crowd.height == 540);
  CHECK(crowd.frame_count == 127);
}
