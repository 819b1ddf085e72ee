#include "serve/byte_range.hpp"

#include <charconv>
#include <optional>
#include <string_view>

namespace curator::serve {

namespace {

// A decimal byte position: digits only, no sign, no overflow.
std::optional<uint64_t> position(std::string_view text) {
  uint64_t v = 0;
  if (text.empty()) return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

} // namespace

ByteRange parse_byte_range(const std::string& header, uint64_t size) {
  ByteRange r;
  constexpr std::string_view unit = "bytes=";
  std::string_view spec(header);
  if (spec.substr(0, unit.size()) != unit) return r;
  spec.remove_prefix(unit.size());
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos) return r; // one range only
  const std::string_view a_text = spec.substr(0, dash), b_text = spec.substr(dash + 1);
  const auto a = position(a_text), b = position(b_text);
  if ((!a_text.empty() && !a) || (!b_text.empty() && !b) || (!a && !b)) return r;
  if (!a) { // suffix: the last b bytes
    if (*b == 0 || size == 0) {
      r.kind = ByteRange::Kind::unsatisfiable;
      return r;
    }
    r.kind = ByteRange::Kind::partial;
    r.first = *b >= size ? 0 : size - *b;
    r.last = size - 1;
    return r;
  }
  if (*a >= size || (b && *b < *a)) {
    r.kind = ByteRange::Kind::unsatisfiable;
    return r;
  }
  r.kind = ByteRange::Kind::partial;
  r.first = *a;
  r.last = b ? std::min(*b, size - 1) : size - 1;
  return r;
}

} // namespace curator::serve
