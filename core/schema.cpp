// The schema, one migration per change, never edited once released: add a new migration instead. Each
// names the module that owns its tables (that module's store is the only code writing their SQL).
#include "core/migrations.hpp"

namespace curator::core {

const std::vector<Migration>& schema_migrations() {
  static const std::vector<Migration> migrations = {
      // Owner: core: JobQueue's tables.
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
      // Owner: serve: DaemonRuns' table.
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
      // Owner: ingest: the submission and video stores' tables.
      {3, "submissions, videos, frames, face tracks", R"sql(
CREATE TABLE submissions (
  id            INTEGER PRIMARY KEY,
  state         TEXT    NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'processing', 'done', 'rejected', 'failed', 'duplicate')),
  reason        TEXT,                         -- why it was rejected or failed, shown to the submitter
  duplicate_of  INTEGER REFERENCES submissions(id),
  origin        TEXT    NOT NULL,             -- upload | url | path | import:<format>
  original_name TEXT    NOT NULL,             -- file name or URL as given (display only)
  url           TEXT,
  blob_sha256   TEXT,                         -- the stored video (NULL until a URL is fetched)
  size_bytes    INTEGER,
  claimed_label TEXT    NOT NULL CHECK (claimed_label IN ('real', 'fake', 'unknown')),
  source        TEXT    NOT NULL,
  method        TEXT,                         -- manipulation method, when known
  contributor   TEXT,
  consent       TEXT,                         -- consent or licence note
  trusted       INTEGER NOT NULL DEFAULT 0,   -- curated import: label counts as confirmed
  confirmed_by  TEXT,                         -- the operator of a trusted import
  external_id   TEXT,                         -- id in the imported dataset (FF++ "000_003", DFDC file)
  official_split TEXT CHECK (official_split IN ('train', 'val', 'test')),
  progress_done INTEGER NOT NULL DEFAULT 0,
  progress_total INTEGER NOT NULL DEFAULT 0,
  no_face       INTEGER NOT NULL DEFAULT 0,
  created_ms    INTEGER NOT NULL,
  updated_ms    INTEGER NOT NULL
);
CREATE INDEX submissions_state ON submissions(state);
CREATE INDEX submissions_blob ON submissions(blob_sha256);
CREATE INDEX submissions_external ON submissions(source, external_id);

-- "this fake derives from that video": by submission id, or by the external id of the same source.
CREATE TABLE submission_relations (
  submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
  derived_from  TEXT    NOT NULL,             -- external id, or "#<submission id>"
  PRIMARY KEY (submission_id, derived_from)
);

CREATE TABLE videos (
  submission_id INTEGER PRIMARY KEY REFERENCES submissions(id),
  width         INTEGER NOT NULL,
  height        INTEGER NOT NULL,
  fps           REAL    NOT NULL,
  frame_count   INTEGER NOT NULL,
  duration_s    REAL    NOT NULL,
  codec         TEXT    NOT NULL,
  phash         BLOB    NOT NULL              -- perceptual hashes of evenly spaced frames (8 bytes each)
);

CREATE TABLE frames (
  video_id    INTEGER NOT NULL REFERENCES videos(submission_id),
  frame_index INTEGER NOT NULL,
  time_s      REAL    NOT NULL,
  face_count  INTEGER NOT NULL,
  PRIMARY KEY (video_id, frame_index)
);

CREATE TABLE tracks (
  video_id    INTEGER NOT NULL REFERENCES videos(submission_id),
  track_index INTEGER NOT NULL,
  face_count  INTEGER NOT NULL,
  embedding   BLOB    NOT NULL,               -- mean of its faces' embeddings, 128 float32
  thumbnail   TEXT    NOT NULL,               -- crop path relative to the data folder
  PRIMARY KEY (video_id, track_index)
);

CREATE TABLE faces (
  id          INTEGER PRIMARY KEY,
  video_id    INTEGER NOT NULL REFERENCES videos(submission_id),
  track_index INTEGER NOT NULL,
  frame_index INTEGER NOT NULL,
  x REAL NOT NULL, y REAL NOT NULL, w REAL NOT NULL, h REAL NOT NULL,
  score       REAL    NOT NULL,
  landmarks   BLOB    NOT NULL,               -- 68 x (x, y) float32
  embedding   BLOB    NOT NULL,               -- 128 float32
  small       INTEGER NOT NULL,               -- quality flags: kept, never dropped
  blurred     INTEGER NOT NULL,
  sharpness   REAL    NOT NULL,               -- variance of the Laplacian of the crop
  crop_path   TEXT    NOT NULL,               -- relative to the data folder
  UNIQUE (video_id, frame_index, track_index),
  FOREIGN KEY (video_id, track_index) REFERENCES tracks(video_id, track_index)
);
)sql"},
      // Owner: labeling (review_items) and dataset (splits, snapshots).
      {4, "review items, dataset splits, snapshots", R"sql(
-- One per done submission: the label people confirmed. Trusted imports start confirmed by their operator.
CREATE TABLE review_items (
  submission_id INTEGER PRIMARY KEY REFERENCES submissions(id),
  state       TEXT    NOT NULL DEFAULT 'pending'
              CHECK (state IN ('pending', 'confirmed', 'rejected', 'escalated')),
  label       TEXT    CHECK (label IN ('real', 'fake')),  -- the confirmed label (NULL until confirmed)
  reason      TEXT,                                       -- why it was rejected or escalated
  decided_by  TEXT,
  created_ms  INTEGER NOT NULL,
  updated_ms  INTEGER NOT NULL
);
CREATE INDEX review_items_state ON review_items(state);
INSERT INTO review_items(submission_id, state, label, decided_by, created_ms, updated_ms)
  SELECT id, CASE WHEN trusted = 1 AND claimed_label != 'unknown' THEN 'confirmed' ELSE 'pending' END,
         CASE WHEN trusted = 1 AND claimed_label != 'unknown' THEN claimed_label END,
         CASE WHEN trusted = 1 THEN confirmed_by END, updated_ms, updated_ms
  FROM submissions WHERE state = 'done';

-- The split of every planned video. A split, once set, never changes (the triggers refuse it).
CREATE TABLE dataset_videos (
  submission_id INTEGER PRIMARY KEY REFERENCES submissions(id),
  state       TEXT    NOT NULL CHECK (state IN ('assigned', 'quarantined', 'excluded')),
  split       TEXT    CHECK (split IN ('train', 'val', 'test')),
  group_key   TEXT    NOT NULL,              -- split unit: people, derivations and footage joined
  decision    TEXT    NOT NULL,              -- how the split was chosen: rule, official, inherited, ...
  reason      TEXT,                          -- why it was quarantined or excluded
  assigned_ms INTEGER,
  updated_ms  INTEGER NOT NULL,
  CHECK ((state = 'assigned') = (split IS NOT NULL) OR state = 'excluded')
);
CREATE INDEX dataset_videos_group ON dataset_videos(group_key);
CREATE TRIGGER dataset_split_never_moves BEFORE UPDATE OF split ON dataset_videos
  WHEN OLD.split IS NOT NULL AND NEW.split IS NOT OLD.split
  BEGIN SELECT RAISE(ABORT, 'an assigned split never changes'); END;
CREATE TRIGGER dataset_split_never_deleted BEFORE DELETE ON dataset_videos
  WHEN OLD.split IS NOT NULL
  BEGIN SELECT RAISE(ABORT, 'an assigned split never changes'); END;
-- Bumped by every applied plan: a planner that read an older generation replans.
CREATE TABLE dataset_state (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  generation  INTEGER NOT NULL
);
INSERT INTO dataset_state(id, generation) VALUES (1, 0);

CREATE TABLE snapshots (
  id          TEXT    PRIMARY KEY,           -- sha256 of the manifest
  manifest    TEXT    NOT NULL,              -- path relative to the data folder
  items       INTEGER NOT NULL,
  videos      INTEGER NOT NULL,
  summary     TEXT    NOT NULL,              -- JSON: settings and per-source counts
  created_ms  INTEGER NOT NULL
);
)sql"},
      // Owner: labeling: accounts, sessions, decisions, audit.
      {5, "accounts, sessions, review decisions, audit log", R"sql(
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  username      TEXT    NOT NULL UNIQUE,
  role          TEXT    NOT NULL CHECK (role IN ('admin', 'reviewer')),
  password_hash TEXT    NOT NULL,             -- libsodium argon2id string
  disabled      INTEGER NOT NULL DEFAULT 0,
  created_ms    INTEGER NOT NULL,
  updated_ms    INTEGER NOT NULL
);

-- Only a hash of the cookie's token is stored: a copied database opens no session.
CREATE TABLE sessions (
  token_hash  TEXT    PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users(id),
  csrf        TEXT    NOT NULL,
  created_ms  INTEGER NOT NULL,
  expires_ms  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Every reviewer's answer; `round` starts again at each reopen so old answers stop counting.
CREATE TABLE review_decisions (
  id            INTEGER PRIMARY KEY,
  submission_id INTEGER NOT NULL REFERENCES submissions(id),
  user_id       INTEGER NOT NULL REFERENCES users(id),
  round         INTEGER NOT NULL,
  decision      TEXT    NOT NULL CHECK (decision IN ('real', 'fake', 'reject', 'skip')),
  reason        TEXT,
  decided_ms    INTEGER NOT NULL,
  UNIQUE (submission_id, user_id, round)
);
ALTER TABLE review_items ADD COLUMN round INTEGER NOT NULL DEFAULT 1;
ALTER TABLE review_items ADD COLUMN model_score REAL;   -- the champion's fake probability, when scored
ALTER TABLE submissions ADD COLUMN submitted_by INTEGER REFERENCES users(id);
ALTER TABLE submissions ADD COLUMN client_addr TEXT;

-- Append-only: the triggers refuse changes and deletions.
CREATE TABLE audit_log (
  id         INTEGER PRIMARY KEY,
  at_ms      INTEGER NOT NULL,
  actor      TEXT    NOT NULL,                -- user name, "operator:<name>", "anonymous", "ingest", ...
  action     TEXT    NOT NULL,                -- submission.create, submission.state, review.decide, ...
  entity     TEXT    NOT NULL,                -- submission, review, user, model
  entity_id  TEXT,
  old_value  TEXT,
  new_value  TEXT
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
-- Submissions are created and moved by several code paths (web, API, CLI, imports, ingest jobs); the
-- database records every one of them.
CREATE TRIGGER audit_submission_create AFTER INSERT ON submissions BEGIN
  INSERT INTO audit_log(at_ms, actor, action, entity, entity_id, new_value)
  VALUES (NEW.created_ms,
          CASE WHEN NEW.trusted = 1 THEN 'operator:' || COALESCE(NEW.confirmed_by, '?')
               WHEN NEW.submitted_by IS NOT NULL THEN (SELECT username FROM users WHERE id = NEW.submitted_by)
               WHEN NEW.contributor IS NOT NULL AND NEW.contributor != '' THEN 'contributor:' || NEW.contributor
               ELSE 'anonymous' END,
          'submission.create', 'submission', NEW.id,
          json_object('origin', NEW.origin, 'label', NEW.claimed_label, 'source', NEW.source, 'state', NEW.state));
END;
CREATE TRIGGER audit_submission_state AFTER UPDATE OF state ON submissions WHEN OLD.state IS NOT NEW.state BEGIN
  INSERT INTO audit_log(at_ms, actor, action, entity, entity_id, old_value, new_value)
  VALUES (NEW.updated_ms, 'ingest', 'submission.state', 'submission', NEW.id, OLD.state,
          NEW.state || CASE WHEN NEW.reason IS NOT NULL THEN ': ' || NEW.reason ELSE '' END);
END;
)sql"},
      // Owner: retrain: RunStore's table.
      {6, "training runs", R"sql(
-- Every training run, alone or in a random search: parameters, curves, metrics, where it stands.
CREATE TABLE training_runs (
  id           TEXT    PRIMARY KEY,           -- its folder under runs/
  search_id    TEXT,                          -- the random search it belongs to, if any
  search_index INTEGER,
  snapshot_id  TEXT    NOT NULL,
  params       TEXT    NOT NULL,              -- JSON (retrain::TrainParams)
  state        TEXT    NOT NULL CHECK (state IN ('running', 'stopped', 'done', 'failed')),
  error        TEXT,
  init         TEXT,                          -- scratch, or imagenet:<sha256>
  curves       TEXT,                          -- JSON, per epoch
  metrics      TEXT,                          -- JSON, per split and source
  code_version TEXT    NOT NULL,
  started_ms   INTEGER NOT NULL,
  finished_ms  INTEGER,
  seconds      REAL,
  UNIQUE (search_id, search_index)
);
CREATE INDEX training_runs_search ON training_runs(search_id);
)sql"},
      // Owner: retrain: ModelRegistry's and RoundStore's tables.
      {7, "model registry, promotion decisions, retrain rounds", R"sql(
-- Every registered model: immutable files under models/v<version>/ (model.pt, torchscript.pt, card.json).
CREATE TABLE model_versions (
  version     INTEGER PRIMARY KEY,
  run_id      TEXT    NOT NULL,
  snapshot_id TEXT    NOT NULL,
  dir         TEXT    NOT NULL,               -- relative to the data folder
  card        TEXT    NOT NULL,               -- JSON model card
  state       TEXT    NOT NULL DEFAULT 'candidate'
              CHECK (state IN ('candidate', 'champion', 'rejected', 'archived')),
  created_ms  INTEGER NOT NULL
);
-- Aliases (one: champion) and their history; rollback walks it back.
CREATE TABLE model_aliases (
  alias      TEXT    PRIMARY KEY,
  version    INTEGER NOT NULL REFERENCES model_versions(version),
  updated_ms INTEGER NOT NULL
);
CREATE TABLE model_alias_history (
  id          INTEGER PRIMARY KEY,
  alias       TEXT    NOT NULL,
  version     INTEGER NOT NULL,
  previous    INTEGER,
  reason      TEXT    NOT NULL,               -- promotion, rollback
  actor       TEXT    NOT NULL,
  at_ms       INTEGER NOT NULL
);
-- Every gate decision, promoted or not, with its per-source reasons.
CREATE TABLE promotion_decisions (
  id          INTEGER PRIMARY KEY,
  candidate   INTEGER NOT NULL REFERENCES model_versions(version),
  champion    INTEGER REFERENCES model_versions(version),
  snapshot_id TEXT    NOT NULL,
  promoted    INTEGER NOT NULL,
  decision    TEXT    NOT NULL,               -- JSON: summary, per-source verdicts, gate settings
  at_ms       INTEGER NOT NULL
);
-- The scheduler's rounds: trigger, snapshot, search, outcome.
CREATE TABLE retrain_rounds (
  id          INTEGER PRIMARY KEY,
  trigger     TEXT    NOT NULL,               -- count, time, manual
  state       TEXT    NOT NULL CHECK (state IN ('running', 'done', 'failed')),
  snapshot_id TEXT,
  search_id   TEXT,
  candidate   INTEGER,
  promoted    INTEGER,
  error       TEXT,
  started_ms  INTEGER NOT NULL,
  finished_ms INTEGER
);
)sql"},
      // Owner: ingest: submissions.
      {8, "submission access keys", R"sql(
-- The SHA-256 of the random key in a submission's page address: whoever holds the address may follow the
-- submission; nobody can walk the sequential ids. Older submissions have none (staff only).
ALTER TABLE submissions ADD COLUMN access_key_hash TEXT;
)sql"},
      // Owner: dataset: dataset_state.
      {9, "split unit sizes", R"sql(
-- The shape of the split units the last plan made (JSON: count, largest units, size histogram).
ALTER TABLE dataset_state ADD COLUMN units TEXT;
)sql"},
      // Owner: dataset (dataset_videos) and retrain (training_runs).
      {10, "conflict units kept out of snapshots, training run warnings", R"sql(
-- Set while the video's split unit has assigned videos in two splits (a person found to be one after both
-- sides were assigned): such units never enter a snapshot.
ALTER TABLE dataset_videos ADD COLUMN conflict TEXT;
-- JSON list of what a run should be read with care for (e.g. a training source with one class only).
ALTER TABLE training_runs ADD COLUMN warnings TEXT;
)sql"},
      // Owner: labeling (login_devices) and ingest (submissions, videos).
      {11, "known sign-in browsers, anonymous uploaders, decode errors, face hashes", R"sql(
-- Browsers a user signed in from (a long-lived cookie; only its hash is kept): they are exempt from the
-- per-name sign-in throttle, so failing on purpose cannot lock the right person out.
CREATE TABLE login_devices (
  token_hash  TEXT    PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users(id),
  created_ms  INTEGER NOT NULL,
  expires_ms  INTEGER NOT NULL
);
-- The SHA-256 of the cookie of the browser that submitted anonymously: its holder may not review it.
ALTER TABLE submissions ADD COLUMN uploader_hash TEXT;
-- Packets of the video stream that decoded to no frame (broken data), counted by a full decode.
ALTER TABLE submissions ADD COLUMN decode_errors INTEGER;
-- Per sampled frame, its largest face's box and a 24x24 grey picture of it (ingest/face_prints.hpp):
-- footage is a copy of other footage only when its faces match too.
ALTER TABLE videos ADD COLUMN face_prints BLOB;
)sql"},
      // Owner: retrain.
      {12, "retrain: experiments (cross-source)", R"sql(
-- An experiment trains a set of runs on one frozen snapshot and compares them (retrain/experiment.hpp);
-- its runs carry its id.
CREATE TABLE experiments (
  id          TEXT    PRIMARY KEY,
  kind        TEXT    NOT NULL,               -- cross-source
  snapshot_id TEXT    NOT NULL,
  options     TEXT    NOT NULL,               -- JSON: sources, seeds or search size, base parameters
  state       TEXT    NOT NULL CHECK (state IN ('running', 'done', 'stopped')),
  result      TEXT,                           -- JSON: the matrix, once done
  created_ms  INTEGER NOT NULL,
  finished_ms INTEGER
);
ALTER TABLE training_runs ADD COLUMN experiment_id TEXT;
CREATE INDEX training_runs_experiment ON training_runs(experiment_id);
)sql"},
      // Owner: labeling.
      {13, "labeling: review intake (random share served in random order)", R"sql(
-- How an item entered review: 'random' items are served in random order, before the others, so that the
-- champion's disagreement never chose them; 'ranked' items by disagreement; 'trusted' imports confirmed at
-- once. Items reviewed before this migration were ranked.
ALTER TABLE review_items ADD COLUMN intake TEXT NOT NULL DEFAULT 'ranked'
  CHECK (intake IN ('ranked', 'random', 'trusted'));
ALTER TABLE review_items ADD COLUMN intake_key REAL;  -- the random order of 'random' items
)sql"},
      // Owner: retrain.
      {14, "retrain: round heartbeats", R"sql(
-- A running round's process writes this every few seconds; a round whose heartbeat stopped (its
-- process was killed) no longer counts as running and is failed by the next look at the rounds.
ALTER TABLE retrain_rounds ADD COLUMN heartbeat_ms INTEGER;
)sql"},
      // Owner: core: WorkerRegistry's table.
      {15, "core: processes that run jobs", R"sql(
-- Every process that runs jobs (`curator serve` with workers, `curator worker`): what it runs, its
-- heartbeat and the jobs it holds. A killed process keeps its last heartbeat; its jobs' leases expire.
CREATE TABLE workers (
  id           INTEGER PRIMARY KEY,
  host         TEXT    NOT NULL,
  pid          INTEGER NOT NULL,
  kinds        TEXT    NOT NULL,              -- JSON array of job kinds
  version      TEXT    NOT NULL,
  started_ms   INTEGER NOT NULL,
  heartbeat_ms INTEGER NOT NULL,
  current_jobs TEXT    NOT NULL DEFAULT '[]', -- JSON array of job ids running now
  stopped_ms   INTEGER,
  stop_reason  TEXT
);
CREATE INDEX workers_heartbeat ON workers(heartbeat_ms);
)sql"},
  };
  return migrations;
}

} // namespace curator::core
