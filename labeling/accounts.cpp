#include "labeling/accounts.hpp"

#include "core/clock.hpp"
#include "core/database.hpp"
#include "core/error.hpp"
#include "core/random_token.hpp"
#include "core/sha256.hpp"
#include "labeling/audit_log.hpp"

#include <SQLiteCpp/Statement.h>
#include <sodium.h>

#include <stdexcept>

namespace curator::labeling {

const char* role_name(Role role) { return role == Role::admin ? "admin" : "reviewer"; }

Role parse_role(const std::string& text) {
  if (text == "admin") return Role::admin;
  if (text == "reviewer") return Role::reviewer;
  throw InvalidInput("unknown role '" + text + "' (reviewer, admin)");
}

nlohmann::json User::to_json() const {
  return {{"id", id}, {"username", username}, {"role", role_name(role)}, {"disabled", disabled}};
}

namespace {

void check_username(const std::string& name) {
  if (name.size() < 2 || name.size() > 64) throw InvalidInput("user names are 2 to 64 characters");
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
      throw InvalidInput("user names may hold only a-z, 0-9, '.', '_' and '-'");
}

void check_password(const std::string& password) {
  if (password.size() < 10) throw InvalidInput("passwords need at least 10 characters");
  if (password.size() > 1024) throw InvalidInput("passwords are at most 1024 bytes");
}

User read_user(SQLite::Statement& q) {
  User u;
  u.id = q.getColumn("id").getInt64();
  u.username = q.getColumn("username").getString();
  u.role = parse_role(q.getColumn("role").getString());
  u.disabled = q.getColumn("disabled").getInt() != 0;
  return u;
}

} // namespace

Accounts::Accounts(core::Database& db, const core::Clock& clock, PasswordCost cost)
    : db_(db), clock_(clock), cost_(cost) {}

User Accounts::add_user(const std::string& actor, const std::string& username, Role role, const std::string& password) {
  check_username(username);
  check_password(password);
  const std::string hash = hash_password(password, cost_); // slow: outside the write lock
  auto conn = db_.connect();
  core::WriteTransaction txn(*conn);
  SQLite::Statement exists(*conn, "SELECT 1 FROM users WHERE username = ?");
  exists.bind(1, username);
  if (exists.executeStep()) throw Conflict("user " + username + " already exists");
  const int64_t now = clock_.now_ms();
  SQLite::Statement q(*conn, "INSERT INTO users(username, role, password_hash, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?)");
  q.bind(1, username), q.bind(2, role_name(role)), q.bind(3, hash), q.bind(4, now), q.bind(5, now);
  q.exec();
  User u{conn->getLastInsertRowid(), username, role, false};
  append_audit(*conn, now, actor, "user.add", "user", username, "", role_name(role));
  txn.commit();
  return u;
}

void Accounts::set_disabled(const std::string& actor, const std::string& username, bool disabled) {
  auto conn = db_.connect();
  core::WriteTransaction txn(*conn);
  auto user = find(username);
  if (!user) throw NotFound("no user " + username);
  SQLite::Statement q(*conn, "UPDATE users SET disabled = ?, updated_ms = ? WHERE id = ?");
  q.bind(1, disabled ? 1 : 0), q.bind(2, clock_.now_ms()), q.bind(3, user->id);
  q.exec();
  if (disabled) {
    SQLite::Statement s(*conn, "DELETE FROM sessions WHERE user_id = ?");
    s.bind(1, user->id);
    s.exec();
  }
  append_audit(*conn, clock_.now_ms(), actor, disabled ? "user.disable" : "user.enable", "user", username,
               user->disabled ? "disabled" : "enabled", disabled ? "disabled" : "enabled");
  txn.commit();
}

void Accounts::set_password(const std::string& actor, const std::string& username, const std::string& password) {
  check_password(password);
  const std::string hash = hash_password(password, cost_);
  auto conn = db_.connect();
  core::WriteTransaction txn(*conn);
  SQLite::Statement q(*conn, "UPDATE users SET password_hash = ?, updated_ms = ? WHERE username = ?");
  q.bind(1, hash), q.bind(2, clock_.now_ms()), q.bind(3, username);
  if (q.exec() == 0) throw NotFound("no user " + username);
  // A new password ends every open session of the account.
  SQLite::Statement s(*conn, "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = ?)");
  s.bind(1, username);
  s.exec();
  append_audit(*conn, clock_.now_ms(), actor, "user.passwd", "user", username, "", "password changed");
  txn.commit();
}

void Accounts::set_role(const std::string& actor, const std::string& username, Role role) {
  auto conn = db_.connect();
  core::WriteTransaction txn(*conn);
  auto user = find(username);
  if (!user) throw NotFound("no user " + username);
  SQLite::Statement q(*conn, "UPDATE users SET role = ?, updated_ms = ? WHERE id = ?");
  q.bind(1, role_name(role)), q.bind(2, clock_.now_ms()), q.bind(3, user->id);
  q.exec();
  append_audit(*conn, clock_.now_ms(), actor, "user.role", "user", username, role_name(user->role), role_name(role));
  txn.commit();
}

std::optional<User> Accounts::find(const std::string& username) const {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "SELECT id, username, role, disabled FROM users WHERE username = ?");
  q.bind(1, username);
  if (!q.executeStep()) return std::nullopt;
  return read_user(q);
}

std::vector<User> Accounts::list() const {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "SELECT id, username, role, disabled FROM users ORDER BY username");
  std::vector<User> out;
  while (q.executeStep()) out.push_back(read_user(q));
  return out;
}

std::optional<User> Accounts::authenticate(const std::string& username, const std::string& password) const {
  std::string hash;
  std::optional<User> user;
  {
    auto conn = db_.connect();
    SQLite::Statement q(*conn, "SELECT id, username, role, disabled, password_hash FROM users WHERE username = ?");
    q.bind(1, username);
    if (q.executeStep()) {
      user = read_user(q);
      hash = q.getColumn("password_hash").getString();
    }
  }
  if (!user) {
    // Spend the same time as a real check, so response times do not reveal which names exist.
    static const std::string dummy = hash_password("not-a-real-password", PasswordCost::interactive());
    verify_password(dummy, password);
    return std::nullopt;
  }
  if (!verify_password(hash, password) || user->disabled) return std::nullopt;
  return user;
}

Session Accounts::open_session(const User& user, int64_t ttl_ms) {
  Session s;
  s.token = core::random_hex(32);
  s.csrf = core::random_hex(32);
  s.user = user;
  s.expires_ms = clock_.now_ms() + ttl_ms;
  auto conn = db_.connect();
  core::WriteTransaction txn(*conn);
  SQLite::Statement gc(*conn, "DELETE FROM sessions WHERE expires_ms <= ?");
  gc.bind(1, clock_.now_ms());
  gc.exec();
  SQLite::Statement q(*conn, "INSERT INTO sessions(token_hash, user_id, csrf, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?)");
  q.bind(1, core::sha256_hex(s.token)), q.bind(2, user.id), q.bind(3, s.csrf), q.bind(4, clock_.now_ms());
  q.bind(5, s.expires_ms);
  q.exec();
  txn.commit();
  return s;
}

std::string Accounts::remember_device(const User& user, int64_t ttl_ms) {
  const std::string token = core::random_hex(32);
  auto conn = db_.connect();
  core::WriteTransaction txn(*conn);
  SQLite::Statement gc(*conn, "DELETE FROM login_devices WHERE expires_ms <= ?");
  gc.bind(1, clock_.now_ms());
  gc.exec();
  SQLite::Statement q(*conn, "INSERT INTO login_devices(token_hash, user_id, created_ms, expires_ms) VALUES (?, ?, ?, ?)");
  q.bind(1, core::sha256_hex(token)), q.bind(2, user.id), q.bind(3, clock_.now_ms()), q.bind(4, clock_.now_ms() + ttl_ms);
  q.exec();
  txn.commit();
  return token;
}

bool Accounts::known_device(int64_t user_id, const std::string& token) const {
  if (token.size() != 64) return false;
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "SELECT 1 FROM login_devices WHERE token_hash = ? AND user_id = ? AND expires_ms > ?");
  q.bind(1, core::sha256_hex(token)), q.bind(2, user_id), q.bind(3, clock_.now_ms());
  return q.executeStep();
}

std::optional<Session> Accounts::session(const std::string& token) const {
  if (token.size() != 64) return std::nullopt;
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "SELECT u.id, u.username, u.role, u.disabled, s.csrf, s.expires_ms FROM sessions s JOIN "
                             "users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_ms > ? AND u.disabled = 0");
  q.bind(1, core::sha256_hex(token)), q.bind(2, clock_.now_ms());
  if (!q.executeStep()) return std::nullopt;
  Session s;
  s.user = read_user(q);
  s.csrf = q.getColumn("csrf").getString();
  s.expires_ms = q.getColumn("expires_ms").getInt64();
  return s;
}

void Accounts::close_session(const std::string& token) {
  auto conn = db_.connect();
  core::WriteTransaction txn(*conn);
  SQLite::Statement q(*conn, "DELETE FROM sessions WHERE token_hash = ?");
  q.bind(1, core::sha256_hex(token));
  q.exec();
  txn.commit();
}

} // namespace curator::labeling
