#pragma once
// Submission endpoints (part of the route table in routes.cpp).
#include "ingest/ingest_service.hpp"
#include "serve/routes.hpp"

#include <functional>
#include <map>
#include <string>

namespace curator::serve {

/// Sees a submission's form fields before anything is stored: may throw to refuse, or complete the
/// metadata (who submitted it, from where).
using FormCheck = std::function<void(const std::map<std::string, std::string>& fields, ingest::SubmissionMeta& meta)>;

/// Reads a submission from `body`: multipart (a streamed `file` or a `url` field, plus metadata fields)
/// or JSON {"url", ...}; enforces ingest.max_upload_mb from Content-Length and while streaming.
ingest::Receipt receive_submission(ServiceContext& ctx, const Request& req, BodyReader& body, const FormCheck& accept);

void add_submission_routes(std::vector<Route>& routes, ServiceContext& ctx);

} // namespace curator::serve
