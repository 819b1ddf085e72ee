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

std::filesystem::path shared_data_or_skip() {
  std::filesystem::path dir;
  if (const char* v = std::getenv("CURATOR_TEST_DATA"); v && *v) dir = v;
  else if (const char* d = std::getenv("CURATOR_TEST_DATA_DEFAULT"); d && *d) dir = d;
  if (dir.empty() || !std::filesystem::is_directory(dir)) {
    std::cerr << "SKIPPED: the shared real test data folder was not found at '" << dir.string()
              << "'. Set CURATOR_TEST_DATA to a copy of shared/data to run these tests.\n";
    std::exit(77);
  }
  return dir;
}

} // namespace curator::test
