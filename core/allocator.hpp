#pragma once
//! Process-wide allocator settings for model work. LibTorch's operators and OpenCV allocate and free
//! buffers of a few MB per call; with glibc's defaults each such free gives the pages back to the kernel
//! (munmap, or trimming the heap's top) and the next call faults them in again, so the face nets spend
//! more time in the kernel than in their arithmetic (bench/faces_bench and docs/operations.md have the
//! numbers). tune_allocator() keeps buffers up to 32 MB in the heap and trims it only above 256 MB free.
//! Training reuses its activation buffers every step in the same way. Call once at the start of main(),
//! before other threads start (curator, the test runner, the benches do). Not thread-safe.
namespace curator::core {

/// Applies the settings above unless the environment already tunes malloc (GLIBC_TUNABLES naming
/// glibc.malloc, or MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_), which then wins, or
/// CURATOR_MALLOC_DEFAULTS is set (glibc's defaults, for comparisons). Returns whether it changed anything.
bool tune_allocator();

} // namespace curator::core
