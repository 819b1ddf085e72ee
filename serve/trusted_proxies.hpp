#pragma once
//! The client's address behind reverse proxies (web.trusted_proxies): only when the connection comes from
//! a trusted proxy is X-Forwarded-For believed, and then its right-most address that is not itself a
//! trusted proxy is the client. Without trusted proxies the peer is the client and X-Forwarded-For is
//! ignored (anyone can send it). Immutable after construction; thread-safe.
#include "core/network_list.hpp"

#include <optional>
#include <string>

namespace curator::serve {

class TrustedProxies {
public:
  /// `list`: comma-separated addresses or CIDR networks. Throws ConfigError on a malformed entry.
  explicit TrustedProxies(const std::string& list = "") : proxies_(list, "web.trusted_proxies") {}
  bool contains(const std::string& address) const { return proxies_.contains(address); }
  /// The client's address for a connection from `peer` carrying `forwarded_for`.
  std::string client(const std::string& peer, const std::optional<std::string>& forwarded_for) const;

private:
  core::NetworkList proxies_;
};

} // namespace curator::serve
