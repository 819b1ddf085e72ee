#pragma once
//! Server-rendered HTML: escaping, the page frame (navigation, style), redirects and friendly error
//! pages. Every value that came from a user passes through escape(); templates are plain strings with
//! no logic beyond that. Pure functions; thread-safe.
#include "serve/http_types.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace curator::serve::html {

/// & < > " ' become entities: safe in element content and in quoted attribute values.
std::string escape(std::string_view text);

/// Who is looking at a page, for the navigation bar.
struct Viewer {
  std::string username; ///< empty when signed out
  bool admin = false;
  std::string csrf;     ///< the session's token, for the sign-out form
};

/// A whole document: title, navigation, `body` (already escaped HTML) and `scripts`, names of scripts
/// under /static/ (serve/assets/) loaded with `defer`. Pages carry no inline script: the CSP forbids it.
std::string page(const std::string& title, const Viewer& viewer, const std::string& body,
                 const std::vector<std::string>& scripts = {});

Response html(std::string document, int status = 200);
/// 303 See Other to a local path (anything not starting with a single '/' becomes "/").
/// Whether `location` is a path on this site (no scheme, no "//host", no control characters or
/// backslashes a browser would reinterpret).
bool local_path(const std::string& location);
/// 303 to `location` when it is a local path, else to "/".
Response redirect(const std::string& location);
/// An error as a page (status from the code); 401 becomes a redirect to the sign-in page.
Response error_page(ErrorCode code, const std::string& message, const std::string& path);

/// A date-time from milliseconds since the epoch, UTC ("2026-11-26 01:02:03 UTC").
std::string format_time(int64_t ms);

} // namespace curator::serve::html
