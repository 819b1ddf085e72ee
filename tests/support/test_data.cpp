#include "tests/support/test_data.hpp"

#include "core/allocator.hpp"
#include "ingest/faces/face_pipeline.hpp"

#define CATCH_CONFIG_EXTERNAL_INTERFACES // the listener base class
#include <catch2/catch.hpp>

#include <cstdlib>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace curator::test {

std::filesystem::path required_env_path(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) throw std::runtime_error(std::string(name) + " is not set; run the tests through ctest");
  return value;
}

int torch_threads() {
  const char* v = std::getenv("CURATOR_TORCH_THREADS");
  const int n = v ? std::atoi(v) : 0;
  return n > 0 ? n : 2;
}

namespace {

std::optional<std::filesystem::path> folder(const char* env, const char* default_env) {
  std::filesystem::path dir;
  if (const char* v = std::getenv(env); v && *v) dir = v;
  else if (const char* d = std::getenv(default_env); d && *d) dir = d;
  if (dir.empty() || !std::filesystem::is_directory(dir)) return std::nullopt;
  return dir;
}

struct SkipLog {
  std::mutex mutex;
  std::vector<std::string> lines;
};
SkipLog& skip_log() {
  static SkipLog log;
  return log;
}

// Prints the skipped test cases when the run ends, so a missing folder is never silent.
struct SkipReporter : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testRunStarting(const Catch::TestRunInfo&) override { core::tune_allocator(); } // as curator's main()
  void testRunEnded(const Catch::TestRunStats&) override {
    auto& log = skip_log();
    std::lock_guard lock(log.mutex);
    if (log.lines.empty()) return;
    std::cout << "SKIPPED " << log.lines.size() << " test case(s):\n";
    for (const auto& line : log.lines) std::cout << "  " << line << "\n";
  }
};

} // namespace

CATCH_REGISTER_LISTENER(SkipReporter)

std::optional<std::filesystem::path> shared_data() { return folder("CURATOR_TEST_DATA", "CURATOR_TEST_DATA_DEFAULT"); }

std::optional<std::filesystem::path> shared_reference() {
  return folder("CURATOR_REFERENCE_DIR", "CURATOR_REFERENCE_DIR_DEFAULT");
}

bool shared_data_required() {
  auto on = [](const char* name) {
    const char* v = std::getenv(name);
    return v && (std::string(v) == "1" || std::string(v) == "true");
  };
  return on("CURATOR_REQUIRE_SHARED_DATA");
}

void skip_current_test(const std::string& what) {
  const std::string name = Catch::getResultCapture().getCurrentTestName();
  if (shared_data_required())
    FAIL(what << " was not found, and CURATOR_REQUIRE_SHARED_DATA=1 makes that a failure: \"" << name
              << "\" needs it; set CURATOR_TEST_DATA / CURATOR_REFERENCE_DIR");
  WARN("SKIPPED: " << what << " was not found; set CURATOR_TEST_DATA / CURATOR_REFERENCE_DIR to run this test");
  auto& log = skip_log();
  std::lock_guard lock(log.mutex);
  log.lines.push_back(name + " (needs " + what + ")");
}

int skipped_tests() {
  auto& log = skip_log();
  std::lock_guard lock(log.mutex);
  return static_cast<int>(log.lines.size());
}

const faces::FacePipeline& face_pipeline() {
  static faces::FacePipeline p(required_env_path("CURATOR_MODELS_DIR"));
  return p;
}

} // namespace curator::test
