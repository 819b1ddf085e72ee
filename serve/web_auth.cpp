#include "serve/web_auth.hpp"

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/random_token.hpp"
#include "core/setting_keys.hpp"
#include "core/sha256.hpp"

#include <sodium.h>

namespace curator::serve {

WebServices::WebServices(core::Database& db, const core::Clock& clock, const core::Config& c)
    : accounts(db, clock),
      reviews(db, clock,
              labeling::ConsensusRule{static_cast<int>(c.get(core::keys::review_consensus_k)),
                                      static_cast<int>(c.get(core::keys::review_consensus_n))}),
      login_by_name(clock, static_cast<int>(c.get(core::keys::web_login_max_failures)),
                    c.get(core::keys::web_login_window_minutes) * 60'000),
      login_by_addr(clock, static_cast<int>(c.get(core::keys::web_login_max_failures)) * 4,
                    c.get(core::keys::web_login_window_minutes) * 60'000),
      anonymous_submissions(clock, static_cast<int>(c.get(core::keys::web_anonymous_submissions_per_hour)), 3'600'000),
      secure_cookies(c.get(core::keys::web_secure_cookies)),
      session_ttl_ms(c.get(core::keys::web_session_hours) * 3'600'000) {}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string url_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') out += ' ';
    else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else out += s[i];
  }
  return out;
}

bool same_token(const std::string& a, const std::string& b) {
  return !a.empty() && a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace

std::map<std::string, std::string> parse_form(const std::string& body, size_t max_value) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('&', start);
    if (end == std::string::npos) end = body.size();
    const std::string pair = body.substr(start, end - start);
    if (!pair.empty()) {
      const size_t eq = pair.find('=');
      std::string key = url_decode(pair.substr(0, eq));
      std::string value = eq == std::string::npos ? "" : url_decode(pair.substr(eq + 1));
      if (value.size() > max_value) throw InvalidInput("form field '" + key + "' is too long");
      out[key] = std::move(value);
    }
    start = end + 1;
  }
  return out;
}

std::optional<std::string> cookie(const Request& req, const std::string& name) {
  auto header = req.header("Cookie");
  if (!header) return std::nullopt;
  const std::string& h = *header;
  size_t pos = 0;
  while (pos < h.size()) {
    size_t end = h.find(';', pos);
    if (end == std::string::npos) end = h.size();
    size_t b = h.find_first_not_of(' ', pos);
    const size_t eq = h.find('=', b);
    if (b < end && eq < end && h.compare(b, eq - b, name) == 0 && eq - b == name.size()) return h.substr(eq + 1, end - eq - 1);
    pos = end + 1;
  }
  return std::nullopt;
}

std::string set_cookie(const std::string& name, const std::string& value, int64_t max_age_s, bool secure) {
  return name + "=" + value + "; Path=/; Max-Age=" + std::to_string(max_age_s) + "; HttpOnly; SameSite=Strict" +
         (secure ? "; Secure" : "");
}

bool secure_request(const WebServices& web, const Request& req) {
  if (web.secure_cookies == "always") return true;
  if (web.secure_cookies == "never") return false;
  return req.via_trusted_proxy && req.header("X-Forwarded-Proto").value_or("") == "https";
}

std::optional<labeling::Session> current_session(WebServices& web, const Request& req) {
  auto token = cookie(req, kSessionCookie);
  if (!token) return std::nullopt;
  return web.accounts.session(*token);
}

labeling::Session require_session(WebServices& web, const Request& req, bool admin) {
  auto s = current_session(web, req);
  if (!s) throw Unauthorized("sign in as a reviewer first");
  if (admin && !s->user.is_admin()) throw Forbidden("this needs an admin account");
  return *s;
}

void require_csrf(const labeling::Session& session, const Request& req, const std::string& token) {
  const std::string given = token.empty() ? req.header("X-CSRF-Token").value_or("") : token;
  if (!same_token(given, session.csrf)) throw Forbidden("missing or wrong CSRF token: reload the page and try again");
}

std::string anonymous_csrf(const Request& req, std::string& set_cookie_header, bool secure) {
  if (auto existing = cookie(req, kAnonCsrfCookie); existing && existing->size() == 64) return *existing;
  const std::string token = core::random_hex(32);
  set_cookie_header = set_cookie(kAnonCsrfCookie, token, 86400, secure);
  return token;
}

void require_anonymous_csrf(const Request& req, const std::string& token) {
  if (!same_token(token, cookie(req, kAnonCsrfCookie).value_or("")))
    throw Forbidden("missing or wrong CSRF token: reload the page and try again");
}

html::Viewer viewer_of(const std::optional<labeling::Session>& session) {
  if (!session) return {};
  return {session->user.username, session->user.is_admin(), session->csrf};
}

SignedIn sign_in(WebServices& web, const Request& req, const std::string& name, const std::string& password) {
  const auto device = cookie(req, kDeviceCookie);
  const auto account = web.accounts.find(name);
  const bool known = account && device && web.accounts.known_device(account->id, *device);
  // A browser the user signed in from before is held back by neither limit: failures from others behind
  // the same address (one NAT, one office) cannot lock the right person out.
  if (!known && (web.login_by_addr.blocked(req.remote_addr) || web.login_by_name.blocked(name)))
    throw RateLimited("too many failed sign-ins; wait a few minutes and try again");
  const auto user = web.accounts.authenticate(name, password);
  if (!user) {
    if (!known) web.login_by_name.record(name), web.login_by_addr.record(req.remote_addr);
    throw Unauthorized("wrong user name or password");
  }
  SignedIn out;
  out.session = web.accounts.open_session(*user, web.session_ttl_ms);
  const bool secure = secure_request(web, req);
  out.cookies.push_back(set_cookie(kSessionCookie, out.session.token, web.session_ttl_ms / 1000, secure));
  if (!known) {
    constexpr int64_t kDeviceDays = 90;
    out.cookies.push_back(set_cookie(kDeviceCookie, web.accounts.remember_device(*user, kDeviceDays * 86'400'000),
                                     kDeviceDays * 86'400, secure));
  }
  return out;
}

std::pair<std::string, std::string> uploader_token(const WebServices& web, const Request& req) {
  if (auto existing = cookie(req, kUploaderCookie); existing && existing->size() == 64) return {*existing, ""};
  const std::string token = core::random_hex(32);
  return {token, set_cookie(kUploaderCookie, token, 365LL * 86'400, secure_request(web, req))};
}

void refuse_own_upload(const labeling::ReviewItem& item, const Request& req) {
  if (item.uploader_hash.empty()) return;
  const auto token = cookie(req, kUploaderCookie);
  if (token && core::sha256_hex(*token) == item.uploader_hash)
    throw Forbidden("this browser submitted the video: someone else reviews it");
}

} // namespace curator::serve
