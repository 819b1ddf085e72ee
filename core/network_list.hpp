#pragma once
//! A list of IP addresses and networks (10.0.0.0/8, 192.168.1.5, ::1, fd00::/8), parsed by Boost.Asio,
//! and whether an address belongs to one of them. IPv4-mapped IPv6 addresses count as IPv4. Immutable
//! after construction; thread-safe.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace curator::core {

class NetworkList {
public:
  /// `list`: comma-separated entries. Throws ConfigError naming `setting` on a malformed entry.
  NetworkList(const std::string& list, const std::string& setting);
  NetworkList() = default;
  bool contains(const std::string& address) const;
  bool empty() const { return v4_.empty() && v6_.empty(); }

private:
  struct Net4 {
    uint32_t net, mask;
  };
  struct Net6 {
    std::array<uint8_t, 16> net;
    int bits;
  };
  std::vector<Net4> v4_;
  std::vector<Net6> v6_;
};

} // namespace curator::core
