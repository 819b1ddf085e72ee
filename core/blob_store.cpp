#include "core/blob_store.hpp"

#include "core/error.hpp"
#include "core/sodium.hpp"

#include <sodium.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace curator::core {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail_errno(const std::string& what) {
  throw Error(ErrorCode::internal, what + ": " + std::strerror(errno));
}

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail_errno("open folder " + dir.string());
  ::fsync(fd);
  ::close(fd);
}

std::string random_name() {
  unsigned char bytes[12];
  randombytes_buf(bytes, sizeof bytes);
  char hex[sizeof bytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return std::string(hex) + ".part";
}

} // namespace

BlobStore::BlobStore(fs::path root) : root_(std::move(root)) {
  ensure_sodium();
  std::error_code ec;
  fs::create_directories(root_ / "tmp", ec);
  fs::create_directories(root_ / "sha256", ec);
  if (ec) throw Error(ErrorCode::internal, "cannot create blob store at " + root_.string() + ": " + ec.message());
}

BlobStore::Writer::Writer(const BlobStore* store, fs::path temp, int fd)
    : store_(store), temp_(std::move(temp)), fd_(fd) {}

BlobStore::Writer::Writer(Writer&& other) noexcept
    : store_(other.store_), temp_(std::move(other.temp_)), fd_(other.fd_), size_(other.size_),
      hash_(other.hash_) {
  other.fd_ = -1;
  other.temp_.clear();
}

BlobStore::Writer::~Writer() {
  if (fd_ >= 0) ::close(fd_);
  if (!temp_.empty()) ::unlink(temp_.c_str());
}

void BlobStore::Writer::write(const void* data, size_t size) {
  if (fd_ < 0) throw std::logic_error("blob writer already committed");
  const char* p = static_cast<const char*>(data);
  size_t left = size;
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("write " + temp_.string());
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  hash_.update(data, size);
  size_ += size;
}

BlobRef BlobStore::Writer::commit() {
  if (fd_ < 0) throw std::logic_error("blob writer already committed");
  if (::fsync(fd_) != 0) fail_errno("fsync " + temp_.string());
  ::fchmod(fd_, 0444); // blobs are immutable
  ::close(fd_);
  fd_ = -1;
  BlobRef ref;
  ref.sha256 = hash_.hex_digest();
  ref.size = size_;
  ref.path = store_->final_path(ref.sha256);
  std::error_code ec;
  fs::create_directories(ref.path.parent_path(), ec);
  if (ec) throw Error(ErrorCode::internal, "cannot create " + ref.path.parent_path().string() + ": " + ec.message());
  if (fs::exists(ref.path)) {
    ref.existed = true;
    ::unlink(temp_.c_str());
    fs::last_write_time(ref.path, fs::file_time_type::clock::now(), ec); // committed again: see seconds_since_commit
  } else {
    if (::rename(temp_.c_str(), ref.path.c_str()) != 0) fail_errno("rename to " + ref.path.string());
    fsync_dir(ref.path.parent_path());
  }
  temp_.clear();
  return ref;
}

BlobStore::Writer BlobStore::writer() const {
  fs::path temp = root_ / "tmp" / random_name();
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) fail_errno("create " + temp.string());
  return Writer(this, temp, fd);
}

BlobRef BlobStore::put_bytes(std::string_view data) const {
  Writer w = writer();
  w.write(data);
  return w.commit();
}

BlobRef BlobStore::put_file(const fs::path& source) const {
  int in = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) throw Error(ErrorCode::not_found, "cannot read " + source.string() + ": " + std::strerror(errno));
  Writer w = writer();
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(in);
      throw Error(ErrorCode::internal, "read error on " + source.string() + ": " + std::strerror(err));
    }
    if (n == 0) break;
    w.write(buf.data(), static_cast<size_t>(n));
  }
  ::close(in);
  return w.commit();
}

fs::path BlobStore::final_path(std::string_view sha256) const {
  return root_ / "sha256" / std::string(sha256.substr(0, 2)) / std::string(sha256);
}

bool BlobStore::contains(std::string_view sha256) const {
  return is_sha256_hex(sha256) && fs::exists(final_path(sha256));
}

fs::path BlobStore::path_of(std::string_view sha256) const {
  if (!is_sha256_hex(sha256)) throw InvalidInput("not a sha256 hex digest: '" + std::string(sha256) + "'");
  fs::path p = final_path(sha256);
  if (!fs::exists(p)) throw NotFound("no blob " + std::string(sha256));
  return p;
}

int64_t BlobStore::seconds_since_commit(std::string_view sha256) const {
  std::error_code ec;
  const auto when = fs::last_write_time(path_of(sha256), ec);
  if (ec) throw NotFound("no blob " + std::string(sha256));
  return std::chrono::duration_cast<std::chrono::seconds>(fs::file_time_type::clock::now() - when).count();
}

bool BlobStore::remove(std::string_view sha256) const {
  if (!is_sha256_hex(sha256)) throw InvalidInput("not a sha256 hex digest: '" + std::string(sha256) + "'");
  std::error_code ec;
  return fs::remove(final_path(sha256), ec);
}

size_t BlobStore::sweep_temp(int64_t min_age_seconds) const {
  size_t removed = 0;
  auto now = fs::file_time_type::clock::now();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root_ / "tmp", ec)) {
    auto age = std::chrono::duration_cast<std::chrono::seconds>(now - entry.last_write_time(ec)).count();
    if (!ec && age >= min_age_seconds && fs::remove(entry.path(), ec)) ++removed;
  }
  return removed;
}

} // namespace curator::core
