#pragma once
//! Downloads a submitted URL into the blob store with libcurl: http and https only (redirects too),
//! bounded redirects, size and time limits. Untrusted input: every failure is a curator::InvalidInput
//! whose message can be shown to the submitter. Thread-safe (one curl handle per call).
#include "core/blob_store.hpp"

#include <string>

namespace curator::ingest {

struct FetchLimits {
  int64_t max_bytes = 500LL << 20;
  int timeout_s = 300;
  int max_redirects = 5;
};

/// Throws InvalidInput for a URL that is not http(s), a failed or refused download, an HTTP error
/// status, or a body over the size limit.
core::BlobRef fetch_url(const std::string& url, const core::BlobStore& blobs, const FetchLimits& limits);

/// Throws InvalidInput unless `url` starts with http:// or https:// and is at most 2000 bytes.
void check_url(const std::string& url);

} // namespace curator::ingest
