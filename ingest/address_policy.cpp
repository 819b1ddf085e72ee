#include "ingest/address_policy.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace curator::ingest {

namespace {

std::string v4_text(uint32_t host_order) {
  in_addr a{htonl(host_order)};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

bool in(uint32_t a, uint32_t net, int bits) { return bits == 0 || (a >> (32 - bits)) == (net >> (32 - bits)); }

std::optional<std::string> judge_v4(uint32_t a) {
  const std::string text = v4_text(a);
  struct Rule {
    uint32_t net;
    int bits;
    const char* what;
  };
  static const Rule rules[] = {
      {0x00000000, 8, "unspecified"},      {0x7f000000, 8, "loopback"},        {0x0a000000, 8, "private"},
      {0xac100000, 12, "private"},         {0xc0a80000, 16, "private"},        {0x64400000, 10, "shared (carrier NAT)"},
      {0xa9fe0000, 16, "link-local"},      {0xc0000000, 24, "reserved"},       {0xc0000200, 24, "documentation"},
      {0xc6336400, 24, "documentation"},   {0xcb007100, 24, "documentation"},  {0xc6120000, 15, "benchmarking"},
      {0xe0000000, 4, "multicast"},        {0xf0000000, 4, "reserved"},
  };
  for (const auto& r : rules)
    if (in(a, r.net, r.bits)) return std::string(r.what) + " address " + text;
  return std::nullopt;
}

std::optional<std::string> judge_v6(const in6_addr& a) {
  const uint8_t* b = a.s6_addr;
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &a, buf, sizeof buf);
  const std::string text = buf;
  auto zero = [&](int from, int to) {
    for (int i = from; i < to; ++i)
      if (b[i] != 0) return false;
    return true;
  };
  auto v4_at = [&](int at) {
    return (uint32_t(b[at]) << 24) | (uint32_t(b[at + 1]) << 16) | (uint32_t(b[at + 2]) << 8) | uint32_t(b[at + 3]);
  };
  if (zero(0, 16)) return "unspecified address " + text;
  if (zero(0, 15) && b[15] == 1) return "loopback address " + text;
  if (zero(0, 10) && b[10] == 0xff && b[11] == 0xff) { // ::ffff:a.b.c.d, IPv4-mapped
    if (auto why = judge_v4(v4_at(12))) return "IPv4-mapped " + *why;
    return std::nullopt;
  }
  if (zero(0, 12)) { // ::a.b.c.d, IPv4-compatible (deprecated)
    if (auto why = judge_v4(v4_at(12))) return "IPv4-compatible " + *why;
    return "IPv4-compatible address " + text;
  }
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && zero(4, 12)) { // 64:ff9b::/96, NAT64
    if (auto why = judge_v4(v4_at(12))) return "NAT64 " + *why;
    return std::nullopt;
  }
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "link-local address " + text;
  if ((b[0] & 0xfe) == 0xfc) return "unique-local address " + text;
  if (b[0] == 0xff) return "multicast address " + text;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return "site-local address " + text;
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return "documentation address " + text;
  if (b[0] == 0x20 && b[1] == 0x02) { // 6to4 carries an IPv4 address
    if (auto why = judge_v4(v4_at(2))) return "6to4 " + *why;
  }
  return std::nullopt;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

} // namespace

std::optional<std::string> refused_address(const sockaddr* address) {
  if (!address) return "no address";
  if (address->sa_family == AF_INET)
    return judge_v4(ntohl(reinterpret_cast<const sockaddr_in*>(address)->sin_addr.s_addr));
  if (address->sa_family == AF_INET6) return judge_v6(reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr);
  return "an address that is neither IPv4 nor IPv6";
}

std::optional<std::string> refused_host(const std::string& raw) {
  std::string host = lower(raw);
  if (!host.empty() && host.back() == '.') host.pop_back();
  if (host == "localhost" || (host.size() > 10 && host.compare(host.size() - 10, 10, ".localhost") == 0))
    return "loopback name " + raw;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (const auto pct = host.find('%'); pct != std::string::npos) host.resize(pct); // zone id
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return judge_v6(v6);
  in_addr v4{};
  if (inet_aton(host.c_str(), &v4) != 0) return judge_v4(ntohl(v4.s_addr)); // 127.1, 2130706433, 0x7f.1, 0
  return std::nullopt;
}

} // namespace curator::ingest
