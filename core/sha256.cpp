#include "core/sha256.hpp"

#include "core/error.hpp"
#include "core/sodium.hpp"

#include <sodium.h>

#include <fstream>
#include <stdexcept>
#include <vector>

namespace curator::core {

static_assert(sizeof(crypto_hash_sha256_state) <= 128, "Sha256 state buffer too small");

namespace {
crypto_hash_sha256_state* as_state(std::array<unsigned char, 128>& buf) {
  return reinterpret_cast<crypto_hash_sha256_state*>(buf.data());
}
} // namespace

Sha256::Sha256() {
  ensure_sodium();
  crypto_hash_sha256_init(as_state(state_));
}

void Sha256::update(const void* data, size_t size) {
  crypto_hash_sha256_update(as_state(state_), static_cast<const unsigned char*>(data), size);
}

std::string Sha256::hex_digest() {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(as_state(state_), digest);
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex);
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex_digest();
}

std::string sha256_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(ErrorCode::not_found, "cannot read " + file.string());
  Sha256 h;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    h.update(buf.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw Error(ErrorCode::internal, "read error on " + file.string());
  return h.hex_digest();
}

bool is_sha256_hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

} // namespace curator::core
