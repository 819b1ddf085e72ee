#pragma once
// A fresh folder under the system temp dir, removed with everything in it at scope exit.
#include <filesystem>
#include <string>

namespace curator::test {

class TempDir {
public:
  explicit TempDir(const std::string& prefix = "curator-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
  std::filesystem::path path_;
};

} // namespace curator::test
