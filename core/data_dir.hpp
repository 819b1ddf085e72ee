#pragma once
//! The data folder's layout (see docs/architecture.md) and the daemon's single-instance lock.
//! DataDir only computes paths; create() makes the folders. Thread-safe (immutable).
#include <filesystem>

namespace curator::core {

class DataDir {
public:
  explicit DataDir(std::filesystem::path root) : root_(std::move(root)) {}

  /// Creates the folders that must exist before the store opens. Throws curator::Error on failure.
  void create() const;

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path database() const { return root_ / "curator.db"; }
  std::filesystem::path blobs() const { return root_ / "blobs"; }
  std::filesystem::path run() const { return root_ / "run"; }
  /// Written by a running daemon: {"pid", "host", "port", "started_ms"}; removed on clean stop.
  std::filesystem::path daemon_file() const { return run() / "daemon.json"; }
  std::filesystem::path daemon_lock() const { return run() / "daemon.lock"; }

private:
  std::filesystem::path root_;
};

/// An exclusive advisory lock (flock) held for the lifetime of the object: one daemon per data folder.
/// The kernel drops it when the process dies, so a SIGKILLed daemon never leaves a stale lock.
class ProcessLock {
public:
  /// Throws curator::Conflict when another process holds the lock.
  explicit ProcessLock(const std::filesystem::path& file);
  ~ProcessLock();
  ProcessLock(const ProcessLock&) = delete;
  ProcessLock& operator=(const ProcessLock&) = delete;

private:
  int fd_ = -1;
};

/// Writes `content` to `target` atomically: temp file in the same folder, fsync, rename, fsync folder.
void write_file_atomic(const std::filesystem::path& target, const std::string& content);

} // namespace curator::core
