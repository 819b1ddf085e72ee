#pragma once
//! curator::core — what every module shares: settings and config, typed errors, logging, the clock seam,
//! the SQLite store with its migrations, the content-addressed blob store, the durable job queue and the
//! worker pool. core depends on no other curator module. Each header states its own thread-safety.
#include "core/blob_store.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/data_dir.hpp"
#include "core/database.hpp"
#include "core/error.hpp"
#include "core/job_queue.hpp"
#include "core/logging.hpp"
#include "core/migrations.hpp"
#include "core/settings.hpp"
#include "core/sha256.hpp"
#include "core/worker_pool.hpp"
