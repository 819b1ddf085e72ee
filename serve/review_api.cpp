// The JSON mirror of the pages: POST/GET/DELETE /api/v1/session, GET /api/v1/review[/next|/{id}],
// POST /api/v1/review/{id}/decision, POST /api/v1/review/{id}/reopen, GET /api/v1/audit.
// Signed-in calls send the session cookie; state-changing ones also X-CSRF-Token (from the session).
#include "core/error.hpp"
#include "labeling/audit_log.hpp"
#include "serve/web_auth.hpp"
#include "serve/web_pages.hpp"

namespace curator::serve {

namespace {

int limit_of(const Request& req, int fallback) {
  int limit = fallback;
  if (auto l = req.query_param("limit")) try {
      limit = std::stoi(*l);
    } catch (const std::exception&) {
      throw InvalidInput("limit must be an integer");
    }
  if (limit < 1 || limit > 1000) throw InvalidInput("limit must be between 1 and 1000");
  return limit;
}

std::string text_field(const nlohmann::json& body, const char* name, size_t max) {
  if (!body.contains(name) || body[name].is_null()) return "";
  if (!body[name].is_string()) throw InvalidInput(std::string("\"") + name + "\" must be a string");
  auto s = body[name].get<std::string>();
  if (s.size() > max) throw InvalidInput(std::string("\"") + name + "\" is too long");
  return s;
}

Response session_info(const labeling::Session& s) {
  return Response::json({{"user", s.user.to_json()}, {"csrf_token", s.csrf}, {"expires_ms", s.expires_ms}});
}

Response sign_in(ServiceContext& ctx, const Request& req) {
  const auto body = req.json_body();
  const std::string name = text_field(body, "username", 64), password = text_field(body, "password", 1024);
  auto& web = *ctx.web;
  if (web.login_by_name.blocked(name) || web.login_by_addr.blocked(req.remote_addr))
    throw RateLimited("too many failed sign-ins; wait a few minutes and try again");
  const auto user = web.accounts.authenticate(name, password);
  if (!user) {
    web.login_by_name.record(name);
    web.login_by_addr.record(req.remote_addr);
    throw Unauthorized("wrong user name or password");
  }
  web.login_by_name.reset(name);
  auto session = web.accounts.open_session(*user, web.session_ttl_ms);
  auto res = session_info(session);
  res.headers.emplace_back("Set-Cookie",
                           set_cookie(kSessionCookie, session.token, web.session_ttl_ms / 1000, secure_request(web, req)));
  return res;
}

Response who_am_i(ServiceContext& ctx, const Request& req) { return session_info(require_session(*ctx.web, req)); }

Response sign_out(ServiceContext& ctx, const Request& req) {
  const auto s = require_session(*ctx.web, req);
  require_csrf(s, req, "");
  ctx.web->accounts.close_session(*cookie(req, kSessionCookie));
  auto res = Response::json({{"signed_out", true}});
  res.headers.emplace_back("Set-Cookie", set_cookie(kSessionCookie, "", 0, secure_request(*ctx.web, req)));
  return res;
}

Response next_item(ServiceContext& ctx, const Request& req) {
  const auto s = require_session(*ctx.web, req);
  const auto item = ctx.web->reviews.next(s.user);
  return Response::json({{"item", item ? item->to_json() : nlohmann::json()}});
}

Response list_items(ServiceContext& ctx, const Request& req) {
  require_session(*ctx.web, req);
  const std::string state = req.query_param("state").value_or("");
  if (!state.empty() && state != "pending" && state != "confirmed" && state != "rejected" && state != "escalated")
    throw InvalidInput("state must be pending, confirmed, rejected or escalated");
  nlohmann::json out = nlohmann::json::array();
  for (const auto& it : ctx.web->reviews.list(state, limit_of(req, 100))) out.push_back(it.to_json());
  return Response::json({{"items", out}});
}

Response get_item(ServiceContext& ctx, const Request& req) {
  require_session(*ctx.web, req);
  return Response::json(ctx.web->reviews.get(std::stoll(req.captures.at(0))).to_json());
}

Response decide(ServiceContext& ctx, const Request& req) {
  const auto s = require_session(*ctx.web, req);
  require_csrf(s, req, "");
  const auto body = req.json_body();
  const auto item = ctx.web->reviews.decide(s.user, std::stoll(req.captures.at(0)),
                                            labeling::parse_verdict(text_field(body, "decision", 32)),
                                            text_field(body, "reason", 1000));
  return Response::json(item.to_json());
}

Response reopen(ServiceContext& ctx, const Request& req) {
  const auto s = require_session(*ctx.web, req, true);
  require_csrf(s, req, "");
  const auto body = req.body.empty() ? nlohmann::json::object() : req.json_body();
  return Response::json(ctx.web->reviews.reopen(s.user, std::stoll(req.captures.at(0)), text_field(body, "reason", 1000)).to_json());
}

Response audit(ServiceContext& ctx, const Request& req) {
  require_session(*ctx.web, req, true);
  int64_t before = 0;
  if (auto b = req.query_param("before")) try {
      before = std::stoll(*b);
    } catch (const std::exception&) {
      throw InvalidInput("before must be a number");
    }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : labeling::list_audit(ctx.db, limit_of(req, 100), before, req.query_param("entity").value_or(""),
                                            req.query_param("entity_id").value_or("")))
    out.push_back(e.to_json());
  return Response::json({{"entries", out}});
}

} // namespace

void add_review_api(std::vector<Route>& routes, ServiceContext& ctx) {
  routes.push_back(context_route(ctx, "POST", "/api/v1/session", sign_in));
  routes.push_back(context_route(ctx, "GET", "/api/v1/session", who_am_i));
  routes.push_back(context_route(ctx, "DELETE", "/api/v1/session", sign_out));
  routes.push_back(context_route(ctx, "GET", "/api/v1/review", list_items));
  routes.push_back(context_route(ctx, "GET", "/api/v1/review/next", next_item));
  routes.push_back(context_route(ctx, "GET", R"(/api/v1/review/(\d{1,18}))", get_item));
  routes.push_back(context_route(ctx, "POST", R"(/api/v1/review/(\d{1,18})/decision)", decide));
  routes.push_back(context_route(ctx, "POST", R"(/api/v1/review/(\d{1,18})/reopen)", reopen));
  routes.push_back(context_route(ctx, "GET", "/api/v1/audit", audit));
}

} // namespace curator::serve
