#pragma once
//! One HTTP byte range of a file (RFC 9110 14.1.2), as <video> seeks with. Pure; thread-safe.
#include <cstdint>
#include <string>

namespace curator::serve {

struct ByteRange {
  enum class Kind { whole, partial, unsatisfiable } kind = Kind::whole;
  uint64_t first = 0, last = 0; ///< inclusive, when partial
};

/// The range a `Range` header asks of a file of `size` bytes. A missing, malformed or multi-range
/// header is answered whole (servers may ignore Range); an end past the file is clamped to its last
/// byte; a start past the end is unsatisfiable.
ByteRange parse_byte_range(const std::string& header, uint64_t size);

} // namespace curator::serve
