// The JSON mirror of the pages: POST/GET/DELETE /api/v1/session, GET /api/v1/review[/next|/{id}],
// POST /api/v1/review/{id}/decision, POST /api/v1/review/{id}/reopen, GET /api/v1/audit.
// Signed-in calls send the session cookie; state-changing ones also X-CSRF-Token (from the session).
#include "core/error.hpp"
#include "labeling/audit_log.hpp"
#include "serve/web_auth.hpp"
#include "serve/handlers.hpp"

namespace curator::serve {

namespace review_api {

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
  const auto signed_in = serve::sign_in(ctx.web, req, name, password);
  auto res = session_info(signed_in.session);
  for (const auto& c : signed_in.cookies) res.headers.emplace_back("Set-Cookie", c);
  return res;
}

Response who_am_i(ServiceContext& ctx, const Request& req) { return session_info(require_session(ctx.web, req)); }

Response sign_out(ServiceContext& ctx, const Request& req) {
  const auto s = require_session(ctx.web, req);
  require_csrf(s, req, "");
  ctx.web.accounts.close_session(*cookie(req, kSessionCookie));
  auto res = Response::json({{"signed_out", true}});
  res.headers.emplace_back("Set-Cookie", set_cookie(kSessionCookie, "", 0, secure_request(ctx.web, req)));
  return res;
}

Response next_item(ServiceContext& ctx, const Request& req) {
  const auto s = require_session(ctx.web, req);
  const auto item = ctx.web.reviews.next(s.user);
  return Response::json({{"item", item ? item->to_json() : nlohmann::json()}});
}

Response list_items(ServiceContext& ctx, const Request& req) {
  require_session(ctx.web, req);
  std::optional<labeling::ReviewState> state;
  if (const auto text = req.query_param("state"); text && !text->empty()) state = labeling::parse_review_state(*text);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& it : ctx.web.reviews.list(state, req.limit_param(100))) out.push_back(it.to_json());
  return Response::json({{"items", out}});
}

Response get_item(ServiceContext& ctx, const Request& req) {
  require_session(ctx.web, req);
  return Response::json(ctx.web.reviews.get(std::stoll(req.captures.at(0))).to_json());
}

Response decide(ServiceContext& ctx, const Request& req) {
  const auto s = require_session(ctx.web, req);
  require_csrf(s, req, "");
  const auto body = req.json_body();
  refuse_own_upload(ctx.web.reviews.get(std::stoll(req.captures.at(0))), req);
  const auto item = ctx.web.reviews.decide(s.user, std::stoll(req.captures.at(0)),
                                            labeling::parse_verdict(text_field(body, "decision", 32)),
                                            text_field(body, "reason", 1000));
  return Response::json(item.to_json());
}

Response reopen(ServiceContext& ctx, const Request& req) {
  const auto s = require_session(ctx.web, req, true);
  require_csrf(s, req, "");
  const auto body = req.body.empty() ? nlohmann::json::object() : req.json_body();
  return Response::json(ctx.web.reviews.reopen(s.user, std::stoll(req.captures.at(0)), text_field(body, "reason", 1000)).to_json());
}

Response audit(ServiceContext& ctx, const Request& req) {
  require_session(ctx.web, req, true);
  int64_t before = 0;
  if (auto b = req.query_param("before")) try {
      before = std::stoll(*b);
    } catch (const std::exception&) {
      throw InvalidInput("before must be a number");
    }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : labeling::list_audit(ctx.db, req.limit_param(100), before, req.query_param("entity").value_or(""),
                                            req.query_param("entity_id").value_or("")))
    out.push_back(e.to_json());
  return Response::json({{"entries", out}});
}

} // namespace review_api

} // namespace curator::serve
