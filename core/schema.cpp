// The schema, one migration per change, never edited once released: add a new migration instead.
#include "core/migrations.hpp"

namespace curator::core {

const std::vector<Migration>& schema_migrations() {
  static const std::vector<Migration> migrations = {
      {1, "durable job queue", R"sql(
CREATE TABLE jobs (
  id               INTEGER PRIMARY KEY,
  kind             TEXT    NOT NULL,
  payload          TEXT    NOT NULL DEFAULT '{}',
  dedupe_key       TEXT    UNIQUE,            -- enqueueing the same key twice gives the same job
  state            TEXT    NOT NULL DEFAULT 'queued'
                   CHECK (state IN ('queued', 'leased', 'done', 'dead')),
  priority         INTEGER NOT NULL DEFAULT 0,
  attempts         INTEGER NOT NULL DEFAULT 0,
  max_attempts     INTEGER NOT NULL CHECK (max_attempts >= 1),
  run_at_ms        INTEGER NOT NULL,          -- not leased before this time (retry backoff, delays)
  lease_token      TEXT,
  lease_owner      TEXT,
  lease_expires_ms INTEGER,
  last_error       TEXT,
  result           TEXT,
  created_ms       INTEGER NOT NULL,
  updated_ms       INTEGER NOT NULL,
  finished_ms      INTEGER
);
CREATE INDEX jobs_due ON jobs(state, run_at_ms);
CREATE INDEX jobs_lease ON jobs(state, lease_expires_ms);
CREATE INDEX jobs_kind_state ON jobs(kind, state);
)sql"},
      {2, "daemon runs", R"sql(
CREATE TABLE daemon_runs (
  id          INTEGER PRIMARY KEY,
  pid         INTEGER NOT NULL,
  version     TEXT    NOT NULL,
  host        TEXT    NOT NULL,
  port        INTEGER NOT NULL,
  started_ms  INTEGER NOT NULL,
  stopped_ms  INTEGER,                        -- NULL: still running, or it died without a clean stop
  stop_reason TEXT
);
)sql"},
  };
  return migrations;
}

} // namespace curator::core
