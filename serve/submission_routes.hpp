#pragma once
// Submission endpoints (part of the route table in routes.cpp).
#include "core/blob_store.hpp"
#include "ingest/ingest_service.hpp"
#include "serve/routes.hpp"

#include <functional>
#include <optional>
#include <map>
#include <string>

namespace curator::serve {

/// A multipart body read as it arrives: the `file` part streamed into the blob store (not yet
/// committed), every other part as a field of at most 4096 bytes.
struct Upload {
  std::optional<core::BlobStore::Writer> file;
  std::string filename;  ///< "upload" when the part had no file name
  bool file_named = false;
  std::map<std::string, std::string> fields;
};
/// Throws payload_too_large past `max_bytes`, InvalidInput for an over-long field or a cut-off body.
Upload read_upload(ServiceContext& ctx, BodyReader& body, int64_t max_bytes);

/// Sees a submission's form fields before anything is stored: may throw to refuse, or complete the
/// metadata (who submitted it, from where).
using FormCheck = std::function<void(const std::map<std::string, std::string>& fields, ingest::SubmissionMeta& meta)>;

/// Reads a submission from `body`: multipart (a streamed `file` or a `url` field, plus metadata fields)
/// or JSON {"url", ...}; enforces ingest.max_upload_mb from Content-Length and while streaming.
ingest::Receipt receive_submission(ServiceContext& ctx, const Request& req, BodyReader& body, const FormCheck& accept);

/// Loads a submission for someone who may follow it: the holder of its access key (`?key=` of its page
/// address), a signed-in reviewer or admin. Anyone else gets NotFound, as for a missing one, so that
/// the sequential ids cannot be walked.
ingest::Submission visible_submission(ServiceContext& ctx, const Request& req, int64_t id);

/// The contributor's page address of a new submission and its JSON status address, both with the key.
std::string submission_page_url(const ingest::Receipt& receipt);
std::string submission_status_url(const ingest::Receipt& receipt);


} // namespace curator::serve
