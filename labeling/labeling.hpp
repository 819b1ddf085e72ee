#pragma once
//! curator::labeling — people confirm labels: reviewer and admin accounts with sessions (accounts.hpp),
//! the review queue with k-of-n consensus (review_queue.hpp), the append-only audit log (audit_log.hpp)
//! and rate limits (rate_limiter.hpp). Depends on core and ingest. No HTTP here: serve/ renders it.
#include "labeling/accounts.hpp"
#include "labeling/audit_log.hpp"
#include "labeling/password.hpp"
#include "labeling/rate_limiter.hpp"
#include "labeling/review_queue.hpp"
