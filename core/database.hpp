#pragma once
//! The SQLite store. Database is a thread-safe pool of connections to one file; each connection is
//! configured with WAL, foreign keys and a busy timeout. A Connection (RAII lease) is used by one thread
//! at a time and goes back to the pool when destroyed. Write through WriteTransaction (BEGIN IMMEDIATE) so
//! concurrent writers queue on the busy timeout instead of failing on lock upgrade.
#include <SQLiteCpp/Database.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

namespace curator::core {

class Database;

class Connection {
public:
  Connection(Database* owner, std::unique_ptr<SQLite::Database> db) : owner_(owner), db_(std::move(db)) {}
  Connection(Connection&& other) noexcept = default;
  Connection& operator=(Connection&&) = delete;
  ~Connection();

  SQLite::Database& operator*() { return *db_; }
  SQLite::Database* operator->() { return db_.get(); }

private:
  Database* owner_;
  std::unique_ptr<SQLite::Database> db_;
};

class Database {
public:
  /// Opens (creating if needed) the database file. Throws curator::Error when it cannot be opened.
  Database(std::filesystem::path file, int busy_timeout_ms);

  Connection connect();
  const std::filesystem::path& file() const { return file_; }
  int busy_timeout_ms() const { return busy_timeout_ms_; }

private:
  friend class Connection;
  std::unique_ptr<SQLite::Database> open() const;
  void give_back(std::unique_ptr<SQLite::Database> db);

  std::filesystem::path file_;
  int busy_timeout_ms_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<SQLite::Database>> idle_;
};

/// BEGIN IMMEDIATE ... COMMIT; rolls back in the destructor unless committed.
class WriteTransaction {
public:
  explicit WriteTransaction(SQLite::Database& db);
  ~WriteTransaction();
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  void commit();

private:
  SQLite::Database& db_;
  bool done_ = false;
};

} // namespace curator::core
