#pragma once
// An ingest stack on a temporary data folder (real SQLite, blob store, face models), with helpers to
// make videos with the ffmpeg command line and to run a submission's job in this thread.
#include "core/config.hpp"
#include "serve/services.hpp"
#include "tests/support/temp_dir.hpp"

#include <string>
#include <vector>

namespace curator::test {

struct IngestEnv {
  explicit IngestEnv(std::vector<std::pair<std::string, std::string>> overrides = {});
  TempDir dir;
  core::Config config;
  core::SystemClock clock;
  serve::Services services;

  /// Runs the submission's ingest job here and returns the submission afterwards.
  ingest::Submission run(int64_t id);
  ingest::Submission ingest_file(const std::filesystem::path& file, const ingest::SubmissionMeta& meta = {});
  int64_t count(const std::string& sql);
};

/// The configured face models folder (CURATOR_MODELS_DIR from ctest).
std::filesystem::path models_root();
/// The face models of that folder, loaded once per test process (on first use).
std::shared_ptr<faces::SharedFacePipeline> shared_face_models();

/// Runs `ffmpeg -v error -y ARGS...`; fails the test when it fails.
void ffmpeg(const std::vector<std::string>& args, const std::filesystem::path& work_dir);

} // namespace curator::test
