#include "core/data_dir.hpp"

#include "core/error.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/file.h>
#include <unistd.h>

namespace curator::core {

namespace {
[[noreturn]] void fail_errno(const std::string& what) {
  throw Error(ErrorCode::internal, what + ": " + std::strerror(errno));
}

void fsync_dir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail_errno("open folder " + dir.string());
  ::fsync(fd);
  ::close(fd);
}
} // namespace

void DataDir::create() const {
  std::error_code ec;
  for (const auto& dir : {root_, blobs(), run()}) {
    std::filesystem::create_directories(dir, ec);
    if (ec) throw Error(ErrorCode::internal, "cannot create " + dir.string() + ": " + ec.message());
  }
}

ProcessLock::ProcessLock(const std::filesystem::path& file) {
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail_errno("open lock " + file.string());
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
    throw Conflict("another curator daemon is already running on this data folder (lock " + file.string() + ")");
  }
}

ProcessLock::~ProcessLock() {
  if (fd_ >= 0) ::close(fd_); // closing releases the flock
}

void write_file_atomic(const std::filesystem::path& target, const std::string& content) {
  // Unique per process and call: two threads writing the same target must not share a temporary file.
  static std::atomic<uint64_t> counter{0};
  std::filesystem::path tmp = target;
  tmp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail_errno("create " + tmp.string());
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      fail_errno("write " + tmp.string());
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail_errno("fsync " + tmp.string());
  }
  ::close(fd);
  if (::rename(tmp.c_str(), target.c_str()) != 0) fail_errno("rename to " + target.string());
  fsync_dir(target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path());
}

} // namespace curator::core
