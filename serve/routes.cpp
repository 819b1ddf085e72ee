#include "serve/routes.hpp"

#include "core/migrations.hpp"
#include "core/sha256.hpp"
#include "serve/disk_room.hpp"
#include "serve/handlers.hpp"
#include "serve/status_report.hpp"
#include "serve/web_auth.hpp"

#include <cassert>
#include <chrono>

namespace curator::serve {

namespace service_api {

Response healthz(ServiceContext&, const Request&) { return Response::json({{"status", "ok"}}); }

Response readyz(ServiceContext& ctx, const Request&) {
  nlohmann::json checks = nlohmann::json::object();
  bool ready = true;
  try {
    auto conn = ctx.db.connect();
    core::require_current_schema(*conn);
    checks["database"] = "ok";
  } catch (const std::exception& e) {
    checks["database"] = e.what();
    ready = false;
  }
  const auto room = disk_room(ctx.config, ctx.data_dir);
  checks["disk"] = room.ok ? "ok" : room.message;
  ready &= room.ok;
  if (ctx.config.get_int("jobs.workers") > 0 && !ctx.workers.running()) {
    checks["workers"] = "not running";
    ready = false;
  } else {
    checks["workers"] = "ok";
  }
  return Response::json({{"status", ready ? "ready" : "not_ready"}, {"checks", checks}}, ready ? 200 : 503);
}

Response metrics(ServiceContext& ctx, const Request&) {
  return Response::text(ctx.metrics.render(ctx.jobs.counts(), ctx.workers.busy()),
                        "text/plain; version=0.0.4; charset=utf-8");
}

// Anyone may see whether the service works; where it keeps its files and which process it is, only staff.
Response status(ServiceContext& ctx, const Request& req) {
  nlohmann::json report = status_report(ctx.config, false);
  const bool staff = ctx.web && current_session(*ctx.web, req);
  if (!staff) {
    report.erase("data_dir");
    if (report["database"].is_object()) report["database"].erase("path");
    for (const char* field : {"pid", "host", "port", "started_ms"}) report["daemon"].erase(field);
    if (report["database"].contains("last_daemon_run")) report["database"].erase("last_daemon_run");
    report["face_models"].erase("dir");
    return Response::json(report);
  }
  report["workers"] = {{"configured", ctx.config.get_int("jobs.workers")},
                       {"busy", ctx.workers.busy()},
                       {"kinds", ctx.workers.kinds()}};
  report["started_ms"] = ctx.started_ms;
  return Response::json(report);
}

// Jobs are the operators' view (payloads name submissions and files): a session sees them all; anyone
// else sees one job only with the key its creator was given (score requests), as for submissions.
bool signed_in(ServiceContext& ctx, const Request& req) { return ctx.web && current_session(*ctx.web, req); }

Response jobs(ServiceContext& ctx, const Request& req) {
  if (!signed_in(ctx, req)) throw Unauthorized("sign in to list jobs");
  std::optional<core::JobState> state;
  if (auto s = req.query_param("state")) state = core::parse_job_state(*s);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& job : ctx.jobs.list(state, req.limit_param(50))) out.push_back(job.to_json());
  return Response::json({{"jobs", out}});
}

Response job(ServiceContext& ctx, const Request& req) {
  const int64_t id = std::stoll(req.captures.at(0)); // the pattern admits digits only
  auto job = ctx.jobs.get(id);
  const auto key = req.query_param("key");
  const bool key_opens = job && key && key->size() == 32 && job->payload.is_object() &&
                         job->payload.value("access_key_hash", "") == core::sha256_hex(*key);
  if (!job || !(key_opens || signed_in(ctx, req)))
    throw NotFound("no job " + req.captures.at(0) + " for this address: use the status_url you were given (it "
                   "carries a key), or sign in");
  return Response::json(job->to_json());
}

} // namespace service_api

namespace {

// Who may call a route. The check runs before the handler: 401 without a session (pages redirect to
// the sign-in page), 403 for a reviewer on an admin route. "anyone" routes check what they need
// themselves (a resource's access key, a session for more detail).
enum class Access { anyone, staff, admin };
// What a route needs from the context; a route whose needs are missing is not served at all.
enum class Needs { core, web, ingest, web_and_ingest, models };

struct Entry {
  const char* method;
  const char* path;
  Access access;
  Needs needs;
  bool page;                   // an HTML page: errors render as pages
  ContextHandler handler;      // or:
  StreamContextHandler stream; // reads its body as it arrives (uploads)
};

constexpr Entry api(const char* m, const char* p, Access a, Needs n, ContextHandler h) { return {m, p, a, n, false, h, nullptr}; }
constexpr Entry page(const char* m, const char* p, Access a, Needs n, ContextHandler h) { return {m, p, a, n, true, h, nullptr}; }
constexpr Entry upload(const char* m, const char* p, Access a, Needs n, StreamContextHandler h, bool is_page = false) {
  return {m, p, a, n, is_page, nullptr, h};
}

constexpr auto anyone = Access::anyone, staff = Access::staff, admin = Access::admin;
constexpr auto core_ = Needs::core, web = Needs::web, ingest = Needs::ingest, web_ingest = Needs::web_and_ingest,
               models = Needs::models;
#define ID R"((\d{1,18}))"

// Every endpoint, in one place.
const Entry kRoutes[] = {
    // method  path                                                 who     needs       handler
    api("GET",    "/healthz",                                       anyone, core_,      service_api::healthz),
    api("GET",    "/readyz",                                        anyone, core_,      service_api::readyz),
    api("GET",    "/metrics",                                       anyone, core_,      service_api::metrics),
    api("GET",    "/api/v1/status",                                 anyone, core_,      service_api::status),
    api("GET",    "/api/v1/jobs",                                   staff,  web,        service_api::jobs),
    api("GET",    "/api/v1/jobs/" ID,                               anyone, core_,      service_api::job),
    upload("POST", "/api/v1/submissions",                           anyone, ingest,     submission_api::post_submission),
    api("GET",    "/api/v1/submissions",                            staff,  web_ingest, submission_api::list_submissions),
    api("GET",    "/api/v1/submissions/" ID,                        anyone, ingest,     submission_api::get_submission),
    api("GET",    "/api/v1/submissions/" ID "/tracks/(\\d{1,6})/thumbnail", anyone, ingest, submission_api::thumbnail),
    api("GET",    "/api/v1/dataset/stats",                          anyone, core_,      dataset_api::stats),
    api("GET",    "/api/v1/dataset/snapshots",                      staff,  web,        dataset_api::snapshots),
    api("GET",    "/api/v1/dataset/snapshots/([0-9a-f]{4,64})",     staff,  web,        dataset_api::snapshot),
    api("GET",    "/api/v1/dataset/snapshots/([0-9a-f]{4,64})/manifest", staff, web,    dataset_api::manifest),
    api("POST",   "/api/v1/session",                                anyone, web,        review_api::sign_in),
    api("GET",    "/api/v1/session",                                staff,  web,        review_api::who_am_i),
    api("DELETE", "/api/v1/session",                                staff,  web,        review_api::sign_out),
    api("GET",    "/api/v1/review",                                 staff,  web,        review_api::list_items),
    api("GET",    "/api/v1/review/next",                            staff,  web,        review_api::next_item),
    api("GET",    "/api/v1/review/" ID,                             staff,  web,        review_api::get_item),
    api("POST",   "/api/v1/review/" ID "/decision",                 staff,  web,        review_api::decide),
    api("POST",   "/api/v1/review/" ID "/reopen",                   admin,  web,        review_api::reopen),
    api("GET",    "/api/v1/audit",                                  admin,  web,        review_api::audit),
    api("GET",    "/api/v1/models",                                 anyone, models,     model_api::models),
    api("GET",    "/api/v1/models/champion",                        anyone, models,     model_api::champion),
    api("GET",    "/api/v1/models/(\\d{1,9})",                      anyone, models,     model_api::version),
    api("GET",    "/api/v1/models/(\\d{1,9})/torchscript",          anyone, models,     model_api::torchscript),
    upload("POST", "/api/v1/score",                                 anyone, models,     model_api::score),
    page("GET",   "/",                                              anyone, web_ingest, web_pages::index),
    upload("POST", "/submit",                                       anyone, web_ingest, web_pages::submit, true),
    page("GET",   "/submissions/" ID,                               anyone, web_ingest, web_pages::submission_page),
    page("GET",   "/login",                                         anyone, web,        web_pages::login_page),
    page("POST",  "/login",                                         anyone, web,        web_pages::login),
    page("POST",  "/logout",                                        staff,  web,        web_pages::logout),
    page("GET",   "/review",                                        staff,  web,        review_pages::queue),
    page("GET",   "/review/" ID,                                    staff,  web,        review_pages::item_page),
    page("POST",  "/review/" ID "/decide",                          staff,  web,        review_pages::decide),
    page("GET",   "/admin",                                         admin,  web,        review_pages::admin),
    page("POST",  "/admin/reopen/" ID,                              admin,  web,        review_pages::reopen),
    page("GET",   "/admin/audit",                                   admin,  web,        review_pages::audit),
    api("GET",    "/media/submissions/" ID "/video",                staff,  web_ingest, review_pages::video),
    page("GET",   "/models",                                        anyone, models,     model_api::models_page),
};
#undef ID

bool available(const ServiceContext& ctx, Needs needs) {
  switch (needs) {
  case Needs::core: return true;
  case Needs::web: return ctx.web != nullptr;
  case Needs::ingest: return ctx.ingest != nullptr;
  case Needs::web_and_ingest: return ctx.web && ctx.ingest;
  case Needs::models: return ctx.models != nullptr;
  }
  return false;
}

void check_access(ServiceContext& ctx, Access access, const Request& req) {
  if (access == Access::anyone) return;
  require_session(*ctx.web, req, access == Access::admin);
}

} // namespace

std::vector<Route> build_routes(ServiceContext& ctx) {
  std::vector<Route> routes;
  for (const auto& e : kRoutes) {
    if (!available(ctx, e.needs)) continue;
    // Routes that need a session need the web services to find it.
    assert(e.access == Access::anyone || ctx.web);
    Route r{e.method, e.path, nullptr};
    r.page = e.page;
    const Access access = e.access;
    if (e.stream) {
      r.stream = [&ctx, access, fn = e.stream](const Request& req, BodyReader& body) {
        check_access(ctx, access, req);
        return fn(ctx, req, body);
      };
    } else {
      r.handler = [&ctx, access, fn = e.handler](const Request& req) {
        check_access(ctx, access, req);
        return fn(ctx, req);
      };
    }
    routes.push_back(std::move(r));
  }
  return routes;
}

} // namespace curator::serve
