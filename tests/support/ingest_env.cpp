#include "tests/support/ingest_env.hpp"

#include "core/worker_pool.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_data.hpp"

#include <SQLiteCpp/Statement.h>

#include <stdexcept>

namespace curator::test {

namespace {
std::vector<std::pair<std::string, std::string>> with_defaults(const TempDir& dir,
                                                               std::vector<std::pair<std::string, std::string>> o) {
  o.insert(o.begin(), {{"data.dir", (dir.path() / "var").string()}, {"faces.models_dir", models_root().string()},
                       {"torch.threads", std::to_string(torch_threads())}});
  return o;
}
} // namespace

std::filesystem::path models_root() { return required_env_path("CURATOR_MODELS_DIR"); }

// One set of face models per test process: loading them is the slow part of a small ingest test.
std::shared_ptr<faces::SharedFacePipeline> shared_face_models() {
  static const auto models = std::make_shared<faces::SharedFacePipeline>(models_root());
  return models;
}

IngestEnv::IngestEnv(std::vector<std::pair<std::string, std::string>> overrides)
    : config(core::Config::defaults(core::default_settings(), with_defaults(dir, std::move(overrides)))),
      services(config, clock, shared_face_models()) {}

ingest::Submission IngestEnv::run(int64_t id) {
  std::atomic<bool> stop{false};
  core::JobContext ctx(stop);
  // A URL submission is downloaded by its own job first, as the daemon's fetch pool would.
  const auto before = services.ingest->submissions().get(id);
  if (before && before->origin == "url" && !before->blob_sha256) {
    services.ingest->run_fetch(id, true);
    if (services.ingest->submissions().get(id)->state == ingest::SubmissionState::rejected) return *services.ingest->submissions().get(id);
  }
  services.ingest->run_job(id, ctx, true);
  return *services.ingest->submissions().get(id);
}

ingest::Submission IngestEnv::ingest_file(const std::filesystem::path& file, const ingest::SubmissionMeta& meta) {
  auto receipt = services.ingest->submit_file(file, meta, "path");
  if (receipt.state == "rejected") return *services.ingest->submissions().get(receipt.id);
  return run(receipt.id);
}

int64_t IngestEnv::count(const std::string& sql) {
  auto conn = services.db->connect();
  SQLite::Statement q(*conn, sql);
  q.executeStep();
  return q.getColumn(0).getInt64();
}

void ffmpeg(const std::vector<std::string>& args, const std::filesystem::path& work_dir) {
  std::vector<std::string> argv = {"/usr/bin/ffmpeg", "-v", "error", "-y"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run(argv, {}, work_dir);
  if (r.exit_code != 0) throw std::runtime_error("ffmpeg failed: " + r.err);
}

} // namespace curator::test
