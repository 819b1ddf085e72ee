#include "core/random_token.hpp"

#include "core/sodium.hpp"

#include <sodium.h>

#include <stdexcept>

namespace curator::core {

std::string random_hex(size_t bytes) {
  ensure_sodium();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes);
  for (unsigned char c : raw) out += digits[c >> 4], out += digits[c & 15];
  return out;
}

} // namespace curator::core
