#include "core/migrations.hpp"

#include "core/database.hpp"
#include "core/error.hpp"
#include "core/logging.hpp"

#include <SQLiteCpp/Statement.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <stdexcept>

namespace curator::core {

namespace {

constexpr const char* kCreateTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_ms INTEGER NOT NULL
))sql";

int current_version(SQLite::Database& db) {
  if (!db.tableExists("schema_migrations")) return 0;
  SQLite::Statement q(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  q.executeStep();
  return q.getColumn(0).getInt();
}

int latest_version(const std::vector<Migration>& migrations) {
  for (size_t i = 0; i < migrations.size(); ++i)
    if (migrations[i].version != static_cast<int>(i) + 1)
      throw std::logic_error("migrations must be numbered 1, 2, 3, ... without gaps");
  return static_cast<int>(migrations.size());
}

SchemaError too_new(int current, int latest) {
  return SchemaError("the database schema is at version " + std::to_string(current) +
                     " but this curator binary only knows up to version " + std::to_string(latest) +
                     "; it was written by a newer curator. Run that version, or restore a backup.");
}

} // namespace

SchemaStatus schema_status(SQLite::Database& db, const std::vector<Migration>& migrations) {
  return SchemaStatus{current_version(db), latest_version(migrations)};
}

std::vector<int> migrate(SQLite::Database& db, const std::vector<Migration>& migrations) {
  const int latest = latest_version(migrations);
  std::vector<int> applied;
  {
    WriteTransaction txn(db);
    db.exec(kCreateTable);
    txn.commit();
  }
  for (const auto& m : migrations) {
    WriteTransaction txn(db); // re-read the version under the write lock: another process may have migrated
    int current = current_version(db);
    if (current > latest) throw too_new(current, latest);
    if (m.version <= current) continue;
    try {
      db.exec(m.sql);
    } catch (const SQLite::Exception& e) {
      throw SchemaError("migration " + std::to_string(m.version) + " (" + m.name + ") failed: " + e.what());
    }
    SQLite::Statement rec(db, "INSERT INTO schema_migrations(version, name, applied_ms) VALUES (?, ?, ?)");
    rec.bind(1, m.version);
    rec.bind(2, m.name);
    rec.bind(3, static_cast<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count()));
    rec.exec();
    txn.commit();
    applied.push_back(m.version);
    logger("store")->info("applied migration {} ({})", m.version, m.name);
  }
  int current = current_version(db);
  if (current > latest) throw too_new(current, latest);
  return applied;
}

void require_current_schema(SQLite::Database& db) {
  SchemaStatus s = schema_status(db);
  if (s.too_new()) throw too_new(s.current, s.latest);
  if (!s.up_to_date())
    throw SchemaError("the database schema is at version " + std::to_string(s.current) + ", this binary needs " +
                      std::to_string(s.latest) + ": run `curator migrate`");
}

} // namespace curator::core
