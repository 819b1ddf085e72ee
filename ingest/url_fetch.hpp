#pragma once
//! Downloads a submitted URL into the blob store with libcurl: http and https only (redirects too),
//! only the allowed ports, public addresses only (address_policy.hpp), bounded redirects, size, time
//! and a minimum speed. The address is checked on every socket curl opens, after resolution and on
//! every redirect, so neither a name that resolves inward, nor a redirect, nor DNS rebinding reaches an
//! internal address. No proxy from the environment is used. Untrusted input: every failure is a
//! curator::InvalidInput whose message can be shown to the submitter and names the rule that refused
//! it. Thread-safe (one curl handle per call).
#include "core/blob_store.hpp"
#include "core/network_list.hpp"

#include <set>
#include <string>

namespace curator::ingest {

struct FetchLimits {
  int64_t max_bytes = 500LL << 20;
  int timeout_s = 300;
  int max_redirects = 5;
  std::set<int> ports{80, 443};   ///< ingest.url_ports
  int min_bytes_per_s = 10 * 1024; ///< ingest.url_min_kb_per_s: slower for low_speed_s seconds: cut off
  int low_speed_s = 30;
  core::NetworkList allowed; ///< ingest.url_allow_networks: internal networks an operator trusts anyway
};

/// Throws InvalidInput for a URL that is not http(s), refused, or a failed download.
core::BlobRef fetch_url(const std::string& url, const core::BlobStore& blobs, const FetchLimits& limits);

/// At the door: throws InvalidInput unless `url` is http(s), at most 2000 bytes, has a host, uses an
/// allowed port, and its host is not an address literal (or localhost name) that would be refused.
void check_url(const std::string& url, const FetchLimits& limits);

} // namespace curator::ingest
