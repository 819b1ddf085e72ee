#pragma once
//! Reviewer and admin accounts and their sessions. Passwords are stored as argon2id strings; session
//! tokens are 256-bit random values of which only the SHA-256 is stored, each with its own CSRF token.
//! Every account change is written to the audit log in the same transaction. Thread-safe (each call
//! uses its own connection).
#include "labeling/password.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace curator::core {
class Clock;
class Database;
} // namespace curator::core

namespace curator::labeling {

enum class Role { reviewer, admin };
const char* role_name(Role role);
/// Throws InvalidInput for anything but "reviewer" or "admin".
Role parse_role(const std::string& text);

struct User {
  int64_t id = 0;
  std::string username;
  Role role = Role::reviewer;
  bool disabled = false;
  bool is_admin() const { return role == Role::admin; }
  nlohmann::json to_json() const;
};

struct Session {
  std::string token; ///< the cookie value; only set by open_session
  User user;
  std::string csrf;  ///< must accompany every state-changing request of this session
  int64_t expires_ms = 0;
};

class Accounts {
public:
  Accounts(core::Database& db, const core::Clock& clock, PasswordCost cost = PasswordCost::interactive());

  /// Names: 2-64 of [a-z0-9._-]; passwords: 10-1024 bytes. Throws InvalidInput, or Conflict for a taken name.
  User add_user(const std::string& actor, const std::string& username, Role role, const std::string& password);
  /// Disabling also closes the user's sessions. Throws NotFound.
  void set_disabled(const std::string& actor, const std::string& username, bool disabled);
  void set_password(const std::string& actor, const std::string& username, const std::string& password);
  void set_role(const std::string& actor, const std::string& username, Role role);

  std::optional<User> find(const std::string& username) const;
  std::vector<User> list() const;

  /// The user when the password is right and the account enabled, else nullopt (no hint which).
  std::optional<User> authenticate(const std::string& username, const std::string& password) const;
  Session open_session(const User& user, int64_t ttl_ms);
  /// A live session (not expired, user enabled), or nullopt.
  std::optional<Session> session(const std::string& token) const;
  void close_session(const std::string& token);

  /// A browser the user signed in from: a random token for a long-lived cookie, of which only the hash
  /// is kept. Failed sign-ins from unknown browsers are throttled per user name; a known browser is not,
  /// so nobody can lock the right person out by failing on purpose.
  std::string remember_device(const User& user, int64_t ttl_ms);
  bool known_device(int64_t user_id, const std::string& token) const;

private:
  core::Database& db_;
  const core::Clock& clock_;
  PasswordCost cost_;
};

} // namespace curator::labeling
