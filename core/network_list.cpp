#include "core/network_list.hpp"

#include "core/error.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <sstream>

namespace curator::core {

namespace ip = boost::asio::ip;

namespace {

std::string trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t"));
  s.erase(s.find_last_not_of(" \t") + 1);
  return s;
}

} // namespace

NetworkList::NetworkList(const std::string& list, const std::string& setting) {
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    item = trim(item);
    if (item.empty()) continue;
    boost::system::error_code ec;
    const bool v6 = item.find(':') != std::string::npos;
    const std::string spec = item.find('/') == std::string::npos ? item + (v6 ? "/128" : "/32") : item;
    if (!v6) {
      const auto n = ip::make_network_v4(spec, ec);
      if (ec) throw ConfigError(setting + ": '" + item + "' is not an address or network");
      v4_.push_back({n.network().to_uint(), n.netmask().to_uint()});
    } else {
      const auto n = ip::make_network_v6(spec, ec);
      if (ec) throw ConfigError(setting + ": '" + item + "' is not an address or network");
      v6_.push_back({n.network().to_bytes(), n.prefix_length()});
    }
  }
}

bool NetworkList::contains(const std::string& address) const {
  boost::system::error_code ec;
  auto a = ip::make_address(trim(address), ec);
  if (ec) return false;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) a = ip::make_address_v4(ip::v4_mapped, a.to_v6());
  if (a.is_v4()) {
    const uint32_t x = a.to_v4().to_uint();
    for (const auto& n : v4_)
      if ((x & n.mask) == n.net) return true;
    return false;
  }
  const auto bytes = a.to_v6().to_bytes();
  for (const auto& n : v6_) {
    bool match = true;
    for (int bit = 0; bit < n.bits && match; ++bit) {
      const auto m = static_cast<uint8_t>(0x80 >> (bit % 8));
      match = (bytes[bit / 8] & m) == (n.net[bit / 8] & m);
    }
    if (match) return true;
  }
  return false;
}

} // namespace curator::core
