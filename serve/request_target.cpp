#include "serve/request_target.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace curator::serve {

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string in(text);
  if (plus_is_space) std::replace(in.begin(), in.end(), '+', ' ');
  if (in.find('%') == std::string::npos) return in;
  int length = 0;
  // libcurl ignores the handle here (since 7.82); a bad escape ("%zz", "%4") is copied as it is.
  std::unique_ptr<char, decltype(&curl_free)> out(
      curl_easy_unescape(nullptr, in.data(), static_cast<int>(in.size()), &length), &curl_free);
  if (!out) throw std::bad_alloc();
  return std::string(out.get(), static_cast<size_t>(length));
}

RequestTarget parse_request_target(std::string_view target) {
  RequestTarget r;
  const size_t q = target.find('?');
  r.path = percent_decode(target.substr(0, q), false);
  if (q == std::string_view::npos) return r;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    r.query.emplace(percent_decode(pair.substr(0, eq), true),
                    eq == std::string_view::npos ? std::string{} : percent_decode(pair.substr(eq + 1), true));
  }
  return r;
}

} // namespace curator::serve
