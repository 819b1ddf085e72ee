#pragma once
//! Which network addresses a submitted URL may reach: public unicast only. Everything a server-side
//! request could use to reach the service itself or its neighbours is refused: loopback, private
//! (RFC 1918, carrier-grade NAT), link-local (cloud metadata at 169.254.169.254), unique-local,
//! multicast, unspecified, reserved, documentation and benchmarking ranges, and IPv4 addresses hidden in
//! IPv6 (mapped, compatible, NAT64) judged as IPv4. Pure functions; thread-safe.
#include <netinet/in.h>
#include <sys/socket.h>

#include <optional>
#include <string>

namespace curator::ingest {

/// Why this address is refused ("loopback address 127.0.0.1"), or nothing for a public address.
std::optional<std::string> refused_address(const sockaddr* address);

/// For a URL's host as written: when it is an address literal (every form the resolver takes, such as
/// 127.1, 2130706433, 0x7f.1, 0, [::1]) or a localhost name, why it is refused; nothing for a public
/// literal or a name that only resolution can judge.
std::optional<std::string> refused_host(const std::string& host);

} // namespace curator::ingest
