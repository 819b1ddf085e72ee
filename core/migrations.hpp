#pragma once
//! Versioned schema migrations. Each migration runs in its own write transaction together with the row
//! that records it in `schema_migrations`, so a crash leaves the schema at a whole version. Applying is
//! idempotent and safe from several processes at once. A database whose version is newer than the
//! binary knows is refused with SchemaError (never "downgraded").
#include <SQLiteCpp/Database.h>

#include <string>
#include <vector>

namespace curator::core {

struct Migration {
  int version;       ///< 1, 2, 3, ... without gaps
  std::string name;  ///< short description, recorded in the database
  std::string sql;   ///< one or more statements
};

/// The migrations of this binary, oldest first (schema.cpp).
const std::vector<Migration>& schema_migrations();

struct SchemaStatus {
  int current = 0; ///< highest version applied to the database
  int latest = 0;  ///< highest version this binary knows
  bool too_new() const { return current > latest; }
  bool up_to_date() const { return current == latest; }
};

/// Reads the version without changing anything (creates nothing).
SchemaStatus schema_status(SQLite::Database& db, const std::vector<Migration>& migrations = schema_migrations());

/// Applies every pending migration; returns the versions applied now. Throws SchemaError when the
/// database is newer than `migrations`.
std::vector<int> migrate(SQLite::Database& db, const std::vector<Migration>& migrations = schema_migrations());

/// Throws SchemaError unless the database is exactly at the latest version.
void require_current_schema(SQLite::Database& db);

} // namespace curator::core
