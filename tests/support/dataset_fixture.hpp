#pragma once
// A data folder with a migrated database and hand-made "ingested" videos: submissions in state done with
// their video row, tracks (synthetic embeddings), faces and crop files. Dataset tests use it to build
// exactly the people, relations and footage a rule is about, in milliseconds, without decoding video.
#include "core/clock.hpp"
#include "core/data_dir.hpp"
#include "core/database.hpp"
#include "dataset/identity_grouping.hpp"
#include "tests/support/temp_dir.hpp"

#include <optional>
#include <random>
#include <string>
#include <vector>

namespace curator::test {

struct FakeVideo {
  std::string key;                 ///< stands for the content hash (must be unique)
  std::string source = "contributor";
  std::string label = "real";
  std::vector<dataset::Vec128> tracks; ///< one mean embedding per face track
  std::vector<uint64_t> frame_hashes;  ///< empty: random (unique footage)
  std::optional<std::string> official_split;
  std::optional<std::string> external_id;
  std::vector<std::string> derived_from;
  bool confirmed = true;               ///< review state: confirmed with `label`, else pending
  int faces_per_track = 2;
};

class DatasetFixture {
public:
  DatasetFixture();
  /// Inserts one done video; returns its submission id.
  int64_t add(const FakeVideo& video);
  /// A point near `person`'s centre (people are random, far apart; a person's tracks are ~0.2 apart once
  /// scaled to unit length, as real tracks of one person measure 0.15-0.3).
  dataset::Vec128 face_of(int person);

  TempDir tmp;
  core::DataDir dir;
  core::ManualClock clock;
  core::Database db;

private:
  std::mt19937 rng_{7};
  std::vector<dataset::Vec128> people_;
};

} // namespace curator::test
