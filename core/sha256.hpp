#pragma once
//! SHA-256 (libsodium), streaming. Not thread-safe per instance; cheap to create.
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace curator::core {

class Sha256 {
public:
  Sha256();
  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  /// Lower-case hex digest; the hasher must not be updated afterwards.
  std::string hex_digest();

private:
  alignas(64) std::array<unsigned char, 128> state_{}; // crypto_hash_sha256_state, kept opaque here
};

std::string sha256_hex(std::string_view data);
/// Hashes a file in chunks; throws curator::Error when it cannot be read.
std::string sha256_file(const std::filesystem::path& file);
bool is_sha256_hex(std::string_view text);

} // namespace curator::core
