#include "core/database.hpp"

#include "core/error.hpp"
#include "core/logging.hpp"

#include <spdlog/spdlog.h>

namespace curator::core {

namespace {
constexpr size_t kMaxIdle = 16;
}

Connection::~Connection() {
  if (owner_ && db_) owner_->give_back(std::move(db_));
}

Database::Database(std::filesystem::path file, int busy_timeout_ms)
    : file_(std::move(file)), busy_timeout_ms_(busy_timeout_ms) {
  give_back(open()); // fail early, and leave one connection ready
}

std::unique_ptr<SQLite::Database> Database::open() const {
  try {
    auto db = std::make_unique<SQLite::Database>(file_.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE |
                                                                     SQLite::OPEN_FULLMUTEX);
    db->setBusyTimeout(busy_timeout_ms_);
    db->exec("PRAGMA journal_mode=WAL");
    // NORMAL is durable across process crashes in WAL mode; only an OS crash may lose the last commits.
    db->exec("PRAGMA synchronous=NORMAL");
    db->exec("PRAGMA foreign_keys=ON");
    return db;
  } catch (const SQLite::Exception& e) {
    throw Error(ErrorCode::unavailable, "cannot open database " + file_.string() + ": " + e.what());
  }
}

Connection Database::connect() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto db = std::move(idle_.back());
      idle_.pop_back();
      return Connection(this, std::move(db));
    }
  }
  return Connection(this, open());
}

void Database::give_back(std::unique_ptr<SQLite::Database> db) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(db));
}

WriteTransaction::WriteTransaction(SQLite::Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

WriteTransaction::~WriteTransaction() {
  if (done_) return;
  try {
    db_.exec("ROLLBACK");
  } catch (const std::exception& e) {
    logger("store")->error("rollback failed: {}", e.what());
  }
}

void WriteTransaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

} // namespace curator::core
