#pragma once
//! The data folder's layout (see docs/architecture.md) and the daemon's single-instance lock.
//! DataDir only computes paths; create() makes the folders. Every folder name of the layout is spelled
//! here and nowhere else. The database stores paths relative to the root (the `*_rel` functions), so a
//! data folder can move. Thread-safe (immutable).
#include <cstdint>
#include <filesystem>
#include <string>

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
  /// Training runs' folders (runs/<run id>/: model.pt, last.pt, card.json, curves).
  std::filesystem::path runs() const { return root_ / "runs"; }
  std::filesystem::path run_folder(const std::string& run_id) const { return runs() / run_id; }
  /// Registered model versions (models/v<version>/), immutable once renamed into place.
  std::filesystem::path models() const { return root_ / "models"; }
  static std::string model_rel(int64_t version) { return "models/v" + std::to_string(version); }
  /// Snapshot manifests (snapshots/<id>.jsonl).
  std::filesystem::path snapshots() const { return root_ / "snapshots"; }
  static std::string snapshot_rel(const std::string& id) { return "snapshots/" + id + ".jsonl"; }
  /// A video's face crops (faces/<video id>/).
  static std::string face_crops_rel(int64_t video_id) { return "faces/" + std::to_string(video_id); }
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
