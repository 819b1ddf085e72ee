#include "labeling/password.hpp"

#include "core/error.hpp"
#include "core/sodium.hpp"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

namespace curator::labeling {

namespace {
constexpr size_t kMaxPasswordBytes = 1024;

void init_sodium() {
  core::ensure_sodium();
}
} // namespace

PasswordCost PasswordCost::interactive() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

PasswordCost PasswordCost::minimum() { return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN}; }

std::string hash_password(const std::string& password, PasswordCost cost) {
  init_sodium();
  if (password.empty()) throw InvalidInput("password is empty");
  if (password.size() > kMaxPasswordBytes) throw InvalidInput("password is longer than 1024 bytes");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost.ops_limit, cost.mem_limit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw Error(ErrorCode::internal, "password hashing ran out of memory");
  return std::string(out);
}

bool verify_password(const std::string& hash, const std::string& password) {
  init_sodium();
  if (hash.size() >= crypto_pwhash_STRBYTES || password.size() > kMaxPasswordBytes) return false;
  char buf[crypto_pwhash_STRBYTES] = {};
  std::memcpy(buf, hash.data(), hash.size());
  return crypto_pwhash_str_verify(buf, password.data(), password.size()) == 0;
}

} // namespace curator::labeling
