#pragma once
//! Password hashing with libsodium's argon2id (salted, self-describing "$argon2id$..." strings).
//! Thread-safe. Hashing is deliberately slow (tens of milliseconds at the interactive limits).
#include <string>

namespace curator::labeling {

struct PasswordCost {
  unsigned long long ops_limit; ///< crypto_pwhash_OPSLIMIT_*
  size_t mem_limit;             ///< bytes, crypto_pwhash_MEMLIMIT_*
  static PasswordCost interactive();
  static PasswordCost minimum(); ///< for tests only: fast, weak
};

/// Throws curator::InvalidInput for an empty or over-long (> 1024 bytes) password.
std::string hash_password(const std::string& password, PasswordCost cost = PasswordCost::interactive());
/// Constant-time verification; false for a wrong password or a malformed hash.
bool verify_password(const std::string& hash, const std::string& password);

} // namespace curator::labeling
