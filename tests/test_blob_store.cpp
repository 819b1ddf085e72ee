#include "core/blob_store.hpp"
#include "core/error.hpp"
#include "core/sha256.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sys/stat.h>

using namespace curator;
namespace fs = std::filesystem;

namespace {
size_t count_files(const fs::path& dir) {
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) ++n;
  return n;
}
} // namespace

TEST_CASE("sha256 matches known vectors", "[store]") {
  CHECK(core::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(core::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(core::is_sha256_hex(core::sha256_hex("x")));
  CHECK_FALSE(core::is_sha256_hex("../../etc/passwd"));
}

TEST_CASE("blobs are content-addressed and stored once", "[store]") {
  test::TempDir dir;
  core::BlobStore store(dir / "blobs");
  auto a = store.put_bytes("hello video");
  CHECK(a.sha256 == core::sha256_hex("hello video"));
  CHECK(a.size == 11);
  CHECK_FALSE(a.existed);
  CHECK(test::read_file(a.path) == "hello video");
  CHECK(a.path == dir / "blobs" / "sha256" / a.sha256.substr(0, 2) / a.sha256);

  std::ofstream(dir / "copy.bin") << "hello video";
  auto b = store.put_file(dir / "copy.bin");
  CHECK(b.sha256 == a.sha256);
  CHECK(b.existed);
  CHECK(count_files(dir / "blobs" / "sha256") == 1);
  CHECK(store.contains(a.sha256));
  CHECK(store.path_of(a.sha256) == a.path);
  struct stat st{};
  ::stat(a.path.c_str(), &st);
  CHECK((st.st_mode & 0222) == 0); // immutable
}

TEST_CASE("a torn write is never visible", "[store]") {
  test::TempDir dir;
  core::BlobStore store(dir / "blobs");
  const std::string content(3 << 20, 'x');
  const std::string hash = core::sha256_hex(content);
  {
    auto w = store.writer();
    w.write(content.data(), content.size() / 2);
    // abandoned here, as when the upload breaks off
  }
  CHECK_FALSE(store.contains(hash));
  CHECK(count_files(dir / "blobs") == 0); // the temp file went with the writer

  // A writer in a process that is killed leaves its temp file, but never the blob.
  std::ofstream(dir / "blobs" / "tmp" / "dead.part") << content.substr(0, 100);
  CHECK_FALSE(store.contains(hash));
  CHECK(count_files(dir / "blobs" / "sha256") == 0);
  CHECK(store.sweep_temp(3600) == 0); // too young: might belong to a live writer
  CHECK(store.sweep_temp(0) == 1);

  auto ref = store.put_bytes(content);
  CHECK(store.contains(hash));
  CHECK(fs::file_size(ref.path) == content.size());
}

TEST_CASE("bad blob references are input errors", "[store]") {
  test::TempDir dir;
  core::BlobStore store(dir / "blobs");
  CHECK_THROWS_AS(store.path_of("../../../etc/passwd"), InvalidInput);
  CHECK_THROWS_AS(store.path_of(core::sha256_hex("absent")), NotFound);
  CHECK_THROWS_AS(store.put_file(dir / "missing"), Error);
}
