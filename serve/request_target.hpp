#pragma once
//! The target of an HTTP request line ("/path?query"), split and percent-decoded: the path as routes match
//! it ('+' stays '+'), the query as form parameters ('+' is a space; "a&b=" gives a="" and b=""; a name may
//! repeat). Pure functions, thread-safe; malformed escapes stay as they were sent.
#include <map>
#include <string>
#include <string_view>

namespace curator::serve {

struct RequestTarget {
  std::string path;
  std::multimap<std::string, std::string> query;
};

RequestTarget parse_request_target(std::string_view target);

/// Percent-decodes `text` (libcurl's decoder); with `plus_is_space`, '+' becomes ' ' first.
std::string percent_decode(std::string_view text, bool plus_is_space);

} // namespace curator::serve
