#include "tests/support/test_data.hpp"

#include <cstdlib>
#include <iostream>
#include <stdexcept>

namespace curator::test {

std::filesystem::path required_env_path(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) throw std::runtime_error(std::string(name) + " is not set; run the tests through ctest");
  return value;
}

namespace {
std::filesystem::path folder_or_skip(const char* env, const char* default_env, const char* what) {
  std::filesystem::path dir;
  if (const char* v = std::getenv(env); v && *v) dir = v;
  else if (const char* d = std::getenv(default_env); d && *d) dir = d;
  if (dir.empty() || !std::filesystem::is_directory(dir)) {
    std::cerr << "SKIPPED: the shared " << what << " folder was not found at '" << dir.string() << "'. Set " << env
              << " to a copy of it to run these tests.\n";
    std::exit(77);
  }
  return dir;
}
} // namespace

std::filesystem::path shared_data_or_skip() {
  return folder_or_skip("CURATOR_TEST_DATA", "CURATOR_TEST_DATA_DEFAULT", "real test data (shared/data)");
}

std::filesystem::path shared_reference_or_skip() {
  return folder_or_skip("CURATOR_REFERENCE_DIR", "CURATOR_REFERENCE_DIR_DEFAULT", "reference (shared/reference)");
}

} // namespace curator::test
