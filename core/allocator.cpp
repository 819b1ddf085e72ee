#include "core/allocator.hpp"

#include <cstdlib>
#include <cstring>
#include <malloc.h>

namespace curator::core {

bool tune_allocator() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (std::getenv("CURATOR_MALLOC_DEFAULTS") || (tunables && std::strstr(tunables, "glibc.malloc")) || std::getenv("MALLOC_MMAP_THRESHOLD_") ||
      std::getenv("MALLOC_TRIM_THRESHOLD_"))
    return false;
  // Both together: a fixed mmap threshold alone leaves the heap trimmed after every large free, and a
  // trim threshold alone turns off glibc's sliding mmap threshold (every buffer over 128 KB is mapped).
  const bool mmap_set = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1;
  const bool trim_set = mallopt(M_TRIM_THRESHOLD, 256 << 20) == 1;
  return mmap_set && trim_set;
}

} // namespace curator::core
