#pragma once
// Locations the tests need: the built binaries (from ctest's environment) and the shared real data.
#include <filesystem>
#include <string>

namespace curator::test {

/// Path from an environment variable set by ctest; fails the test run when missing.
std::filesystem::path required_env_path(const char* name);

/// The shared real-data folder: $CURATOR_TEST_DATA, else ../shared/data next to the source tree.
/// When it is missing, prints a clear SKIPPED line and exits with 77 (ctest reports the group skipped).
std::filesystem::path shared_data_or_skip();

/// shared/reference (face-api golden outputs): $CURATOR_REFERENCE_DIR, else ../shared/reference; skips
/// like shared_data_or_skip() when missing.
std::filesystem::path shared_reference_or_skip();

} // namespace curator::test
