#pragma once
//! Free space on the data folder's disk against the floor `data.min_free_mb`: /readyz reports not ready
//! below it, and uploads are refused (507) before a byte of them is written. Thread-safe.
#include "core/config.hpp"
#include "core/data_dir.hpp"

#include <cstdint>
#include <string>

namespace curator::serve {

struct DiskRoom {
  bool ok = true;
  uint64_t free_bytes = 0;
  std::string message; ///< why not, when not ok
};

/// Whether `incoming` more bytes leave at least the floor free.
DiskRoom disk_room(const core::Config& config, const core::DataDir& dir, uint64_t incoming = 0);
/// Throws InsufficientStorage when disk_room() is not ok.
void require_disk_room(const core::Config& config, const core::DataDir& dir, uint64_t incoming = 0);

} // namespace curator::serve
