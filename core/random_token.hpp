#pragma once
//! Unguessable tokens from the operating system's generator (libsodium). Thread-safe.
#include <cstddef>
#include <string>

namespace curator::core {

/// `bytes` random bytes as lower-case hex (2 * bytes characters).
std::string random_hex(size_t bytes);

} // namespace curator::core
