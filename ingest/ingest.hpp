#pragma once
//! curator::ingest — turns submitted videos into validated, deduplicated, face-annotated records:
//! submissions (upload, URL, local path, dataset import), validation, exact and near-duplicate
//! detection, frame sampling, face tracks, crops and embeddings, stored durably and idempotently.
//! Depends on core and faces (ingest/faces). IngestService is the entry point; see its header for the
//! thread-safety and idempotency contract.
#include "ingest/importers.hpp"
#include "ingest/ingest_service.hpp"
#include "ingest/submission.hpp"
#include "ingest/video_probe.hpp"
