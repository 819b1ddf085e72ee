#include "core/database.hpp"
#include "core/error.hpp"
#include "core/migrations.hpp"
#include "tests/support/temp_dir.hpp"

#include <SQLiteCpp/Statement.h>
#include <catch2/catch.hpp>

using namespace curator;

namespace {
int64_t count(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement q(db, sql);
  q.executeStep();
  return q.getColumn(0).getInt64();
}
} // namespace

TEST_CASE("fresh database gets every migration, once", "[store]") {
  test::TempDir dir;
  core::Database db(dir / "c.db", 1000);
  auto conn = db.connect();
  auto applied = core::migrate(*conn);
  CHECK(applied.size() == core::schema_migrations().size());
  CHECK(core::schema_status(*conn).up_to_date());
  CHECK(conn->tableExists("jobs"));
  CHECK(conn->tableExists("daemon_runs"));
  CHECK(core::migrate(*conn).empty()); // idempotent
  CHECK(count(*conn, "SELECT COUNT(*) FROM schema_migrations") == static_cast<int64_t>(applied.size()));
  SQLite::Statement mode(*conn, "PRAGMA journal_mode");
  mode.executeStep();
  CHECK(mode.getColumn(0).getString() == "wal");
  CHECK(count(*conn, "PRAGMA foreign_keys") == 1);
}

TEST_CASE("upgrade from an older schema keeps the data", "[store]") {
  test::TempDir dir;
  const auto& all = core::schema_migrations();
  REQUIRE(all.size() >= 2);
  std::vector<core::Migration> v1(all.begin(), all.begin() + 1);
  {
    core::Database db(dir / "c.db", 1000);
    auto conn = db.connect();
    core::migrate(*conn, v1);
    CHECK(core::schema_status(*conn).current == 1);
    CHECK_FALSE(conn->tableExists("daemon_runs"));
    conn->exec("INSERT INTO jobs(kind, max_attempts, run_at_ms, created_ms, updated_ms) VALUES ('k', 3, 0, 0, 0)");
    CHECK_THROWS_AS(core::require_current_schema(*conn), SchemaError);
  }
  core::Database db(dir / "c.db", 1000);
  auto conn = db.connect();
  auto applied = core::migrate(*conn);
  CHECK(applied.front() == 2);
  CHECK(core::schema_status(*conn).up_to_date());
  CHECK(count(*conn, "SELECT COUNT(*) FROM jobs WHERE kind = 'k'") == 1);
}

TEST_CASE("a database newer than the binary is refused", "[store]") {
  test::TempDir dir;
  core::Database db(dir / "c.db", 1000);
  auto conn = db.connect();
  core::migrate(*conn);
  conn->exec("INSERT INTO schema_migrations(version, name, applied_ms) VALUES (999, 'from the future', 0)");
  CHECK(core::schema_status(*conn).too_new());
  try {
    core::migrate(*conn);
    FAIL("migrate accepted a newer database");
  } catch (const SchemaError& e) {
    CHECK_THAT(e.what(), Catch::Contains("version 999") && Catch::Contains("newer"));
  }
  CHECK_THROWS_AS(core::require_current_schema(*conn), SchemaError);
}

TEST_CASE("a failing migration leaves the previous version intact", "[store]") {
  test::TempDir dir;
  core::Database db(dir / "c.db", 1000);
  auto conn = db.connect();
  std::vector<core::Migration> ms = {{1, "ok", "CREATE TABLE a(x INTEGER);"},
                                     {2, "broken", "CREATE TABLE b(y INTEGER); INSERT INTO nope VALUES (1);"}};
  CHECK_THROWS_AS(core::migrate(*conn, ms), SchemaError);
  CHECK(core::schema_status(*conn, ms).current == 1);
  CHECK(conn->tableExists("a"));
  CHECK_FALSE(conn->tableExists("b")); // rolled back with its version row
}
