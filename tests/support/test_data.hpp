#pragma once
// Locations the tests need: the built binaries (from ctest's environment) and the shared real data.
#include <filesystem>
#include <optional>
#include <string>

namespace curator::faces {
class FacePipeline;
}

namespace curator::test {

/// The face models of $CURATOR_MODELS_DIR, loaded once per process (thread-safe to use).
const faces::FacePipeline& face_pipeline();

/// Path from an environment variable set by ctest; fails the test run when missing.
std::filesystem::path required_env_path(const char* name);

/// The shared real-data folder: $CURATOR_TEST_DATA, else ../shared/data next to the source tree; nothing
/// when it is missing.
std::optional<std::filesystem::path> shared_data();
/// LibTorch threads for the models a test trains or runs: $CURATOR_TORCH_THREADS (ctest sets 1, as two
/// groups share two cores), else 2.
int torch_threads();
/// shared/reference (face-api golden outputs): $CURATOR_REFERENCE_DIR, else ../shared/reference.
std::optional<std::filesystem::path> shared_reference();

/// Records that the running test case is skipped because `what` is missing: a WARN in its output, and
/// the list of skipped cases printed at the end of the run.
void skip_current_test(const std::string& what);
/// How many test cases were skipped so far in this process.
int skipped_tests();

} // namespace curator::test

/// Declares `var` (a path) as the shared data folder; when the folder is missing, the current test case
/// alone is skipped (recorded, then returns), or fails when CURATOR_REQUIRE_SHARED_DATA=1 (a CI that has
/// the data sets it, so that missing data never turns green). Use at the top of a TEST_CASE body.
#define CURATOR_SHARED_DATA(var)                                                                                 \
  const auto var##_found = ::curator::test::shared_data();                                                      \
  if (!var##_found) return ::curator::test::skip_current_test("the shared real data folder (shared/data)");     \
  const std::filesystem::path var = *var##_found

/// As CURATOR_SHARED_DATA, for shared/reference.
#define CURATOR_SHARED_REFERENCE(var)                                                                            \
  const auto var##_found = ::curator::test::shared_reference();                                                 \
  if (!var##_found) return ::curator::test::skip_current_test("the shared reference folder (shared/reference)"); \
  const std::filesystem::path var = *var##_found
