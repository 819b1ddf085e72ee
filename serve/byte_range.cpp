#include "serve/byte_range.hpp"

#include <httplib.h>

namespace curator::serve {

ByteRange parse_byte_range(const std::string& header, uint64_t size) {
  ByteRange r;
  httplib::Ranges ranges;
  if (header.empty() || !httplib::detail::parse_range_header(header, ranges) || ranges.size() != 1) return r;
  const auto [a, b] = ranges[0];
  if (a < 0 && b < 0) return r;
  if (a < 0) { // suffix: the last b bytes
    if (b == 0 || size == 0) {
      r.kind = ByteRange::Kind::unsatisfiable;
      return r;
    }
    r.kind = ByteRange::Kind::partial;
    r.first = static_cast<uint64_t>(b) >= size ? 0 : size - static_cast<uint64_t>(b);
    r.last = size - 1;
    return r;
  }
  if (static_cast<uint64_t>(a) >= size || (b >= 0 && b < a)) {
    r.kind = ByteRange::Kind::unsatisfiable;
    return r;
  }
  r.kind = ByteRange::Kind::partial;
  r.first = static_cast<uint64_t>(a);
  r.last = b < 0 ? size - 1 : std::min<uint64_t>(static_cast<uint64_t>(b), size - 1);
  return r;
}

} // namespace curator::serve
