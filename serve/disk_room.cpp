#include "serve/disk_room.hpp"

#include "core/error.hpp"
#include "core/setting_keys.hpp"

#include <filesystem>

namespace curator::serve {

DiskRoom disk_room(const core::Config& config, const core::DataDir& dir, uint64_t incoming) {
  DiskRoom room;
  std::error_code ec;
  const auto space = std::filesystem::space(dir.root(), ec);
  if (ec) return {false, 0, "cannot read the free space of " + dir.root().string()};
  room.free_bytes = space.available;
  const uint64_t floor = static_cast<uint64_t>(config.get(core::keys::data_min_free_mb)) << 20;
  if (space.available < floor + incoming) {
    room.ok = false;
    room.message = std::to_string(space.available >> 20) + " MB free on the data folder's disk, under the floor of " +
                   std::to_string(floor >> 20) + " MB (data.min_free_mb)" +
                   (incoming ? " with " + std::to_string(incoming >> 20) + " MB more" : "");
  }
  return room;
}

void require_disk_room(const core::Config& config, const core::DataDir& dir, uint64_t incoming) {
  const auto room = disk_room(config, dir, incoming);
  if (!room.ok) throw InsufficientStorage("the server is short of disk space; try again later");
}

} // namespace curator::serve
