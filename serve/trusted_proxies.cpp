#include "serve/trusted_proxies.hpp"

#include <boost/asio/ip/address.hpp>

#include <sstream>
#include <vector>

namespace curator::serve {

std::string TrustedProxies::client(const std::string& peer, const std::optional<std::string>& forwarded_for) const {
  if (!forwarded_for || !contains(peer)) return peer;
  std::vector<std::string> hops;
  std::stringstream in(*forwarded_for);
  for (std::string hop; std::getline(in, hop, ',');) {
    hop.erase(0, hop.find_first_not_of(" \t"));
    hop.erase(hop.find_last_not_of(" \t") + 1);
    hops.push_back(hop);
  }
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(*it, ec);
    if (ec) return peer; // a malformed chain: trust nothing in it
    if (!contains(*it)) return *it;
  }
  return hops.empty() ? peer : hops.front();
}

} // namespace curator::serve
