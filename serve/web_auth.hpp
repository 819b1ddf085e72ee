#pragma once
//! Sessions, roles and CSRF for the web pages and the JSON API.
//!  - A session is an HttpOnly, SameSite=Strict cookie (`curator_session`), Secure behind TLS; its
//!    token is checked against the database on every request (Accounts::session).
//!  - Every state-changing request of a session carries the session's CSRF token: the form field
//!    `csrf` or the `X-CSRF-Token` header. Anonymous forms (contributor form, sign-in) use a
//!    double-submit cookie (`curator_csrf`) instead.
//!  - require_session throws Unauthorized (401; pages redirect to /login) or Forbidden (403).
//! WebServices is shared by all HTTP threads; its members are thread-safe.
#include "labeling/accounts.hpp"
#include "labeling/rate_limiter.hpp"
#include "labeling/review_queue.hpp"
#include "serve/html.hpp"
#include "serve/http_types.hpp"

#include <map>
#include <optional>
#include <string>

namespace curator::core {
class Config;
}

namespace curator::serve {

struct WebServices {
  WebServices(core::Database& db, const core::Clock& clock, const core::Config& config);
  labeling::Accounts accounts;
  labeling::ReviewQueue reviews;
  labeling::RateLimiter login_by_name, login_by_addr, anonymous_submissions;
  std::string secure_cookies; ///< auto, always, never
  int64_t session_ttl_ms;
};

constexpr const char* kSessionCookie = "curator_session";
constexpr const char* kAnonCsrfCookie = "curator_csrf";
constexpr const char* kDeviceCookie = "curator_device";     ///< a browser the user signed in from
constexpr const char* kUploaderCookie = "curator_uploader"; ///< a browser that submitted anonymously

struct SignedIn {
  labeling::Session session;
  std::vector<std::string> cookies; ///< Set-Cookie values: the session, and this browser remembered
};

/// The one way to sign in (page and API): throttled per client address, and per user name for browsers
/// the user never signed in from (failures slow strangers down; the right person on a known browser is
/// never locked out). Throws RateLimited or Unauthorized ("wrong user name or password").
SignedIn sign_in(WebServices& web, const Request& req, const std::string& name, const std::string& password);

/// For an anonymous submission: the browser's uploader token (its cookie, or a new one) and the Set-Cookie
/// header to send when it is new ("" otherwise).
std::pair<std::string, std::string> uploader_token(const WebServices& web, const Request& req);
/// Throws Forbidden when this browser submitted the item anonymously: nobody reviews their own video.
void refuse_own_upload(const labeling::ReviewItem& item, const Request& req);

/// application/x-www-form-urlencoded, each value at most `max_value` bytes (InvalidInput beyond).
std::map<std::string, std::string> parse_form(const std::string& body, size_t max_value = 4096);
std::optional<std::string> cookie(const Request& req, const std::string& name);
std::string set_cookie(const std::string& name, const std::string& value, int64_t max_age_s, bool secure);
bool secure_request(const WebServices& web, const Request& req);

std::optional<labeling::Session> current_session(WebServices& web, const Request& req);
labeling::Session require_session(WebServices& web, const Request& req, bool admin = false);
/// Throws Forbidden unless `token` (or the X-CSRF-Token header when `token` is empty) is the session's.
void require_csrf(const labeling::Session& session, const Request& req, const std::string& token);

/// The double-submit token of an anonymous form: the cookie's value, or a new one (then the caller adds
/// `set_cookie_header` to the response).
std::string anonymous_csrf(const Request& req, std::string& set_cookie_header, bool secure);
void require_anonymous_csrf(const Request& req, const std::string& token);

html::Viewer viewer_of(const std::optional<labeling::Session>& session);

} // namespace curator::serve
