#include "serve/routes.hpp"

#include "core/job_kinds.hpp"
#include "core/migrations.hpp"
#include "core/setting_keys.hpp"
#include "core/sha256.hpp"
#include "core/worker_registry.hpp"
#include "serve/disk_room.hpp"
#include "serve/handlers.hpp"
#include "serve/status_report.hpp"
#include "serve/web_auth.hpp"

#include <chrono>
#include <set>

namespace curator::serve {

namespace service_api {

Response healthz(ServiceContext&, const Request&) { return Response::json({{"status", "ok"}}); }

Response readyz(ServiceContext& ctx, const Request&) {
  nlohmann::json checks = nlohmann::json::object();
  bool ready = true;
  try {
    auto conn = ctx.db.connect();
    core::require_current_schema(*conn);
    // Reads go on while another process holds the write lock (WAL), but nothing could be submitted or
    // decided: not ready. A short wait for the lock, then the connection's usual one again.
    conn->setBusyTimeout(std::min(200, ctx.db.busy_timeout_ms()));
    try {
      core::WriteTransaction probe(*conn); // rolled back
    } catch (...) {
      conn->setBusyTimeout(ctx.db.busy_timeout_ms());
      throw;
    }
    conn->setBusyTimeout(ctx.db.busy_timeout_ms());
    checks["database"] = "ok";
  } catch (const std::exception& e) {
    checks["database"] = e.what();
    ready = false;
  }
  const auto room = disk_room(ctx.config, ctx.data_dir);
  checks["disk"] = room.ok ? "ok" : room.message;
  ready &= room.ok;
  if (ctx.config.get(core::keys::jobs_workers) > 0 && !ctx.workers.running()) {
    checks["workers"] = "not running";
    ready = false;
  } else {
    checks["workers"] = "ok";
  }
  return Response::json({{"status", ready ? "ready" : "not_ready"}, {"checks", checks}}, ready ? 200 : 503);
}

Response metrics(ServiceContext& ctx, const Request&) {
  const auto processes = core::WorkerRegistry(ctx.db).list(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                               std::chrono::system_clock::now().time_since_epoch()).count(),
                                                           ctx.config.get(core::keys::jobs_lease_seconds) * 1000);
  return Response::text(ctx.metrics.render(ctx.jobs.counts(), ctx.workers.busy(), processes),
                        "text/plain; version=0.0.4; charset=utf-8");
}

// Anyone may see whether the service works; where it keeps its files and which process it is, only staff.
Response status(ServiceContext& ctx, const Request& req) {
  nlohmann::json report = status_report(ctx.config, false);
  const bool staff = current_session(ctx.web, req).has_value();
  if (!staff) {
    report.erase("data_dir");
    if (report["database"].is_object()) report["database"].erase("path");
    for (const char* field : {"pid", "host", "port", "started_ms"}) report["daemon"].erase(field);
    if (report["database"].contains("last_daemon_run")) report["database"].erase("last_daemon_run");
    if (report["database"].contains("workers")) report["database"].erase("workers"); // hosts and pids: staff only
    report["face_models"].erase("dir");
    return Response::json(report);
  }
  report["workers"] = {{"configured", ctx.config.get(core::keys::jobs_workers)},
                       {"busy", ctx.workers.busy()},
                       {"kinds", ctx.workers.kinds()}};
  report["started_ms"] = ctx.started_ms;
  return Response::json(report);
}

// Jobs are the operators' view (payloads name submissions and files): a session sees them all; anyone
// else sees one job only with the key its creator was given (score requests), as for submissions.

// Review is blind: a model's opinion of a video must not reach a reviewer. Results are shown to admins,
// to the holder of a job's key (a contributor's own score request), and to other sessions only for the
// kinds listed here, whose results hold counts, states and aggregate metrics, never a model's score of one
// video: review.score (the champion's score of an item under review) and score.video (it may be a video
// also added to the dataset) are hidden, and so is any kind not listed.
bool result_shown_to_reviewers(const std::string& kind) {
  static const std::set<std::string> kinds = {core::jobs::kIngestVideo.name, core::jobs::kIngestFetch.name,
                                              core::jobs::kDatasetRefresh.name, core::jobs::kBlobForget.name,
                                              core::jobs::kModelRetrain.name};
  return kinds.count(kind) > 0;
}

nlohmann::json visible_job(const core::JobRecord& job, const std::optional<labeling::Session>& session, bool key_opens) {
  auto j = job.to_json();
  const bool admin = session && session->user.is_admin();
  if (!admin && !key_opens && !result_shown_to_reviewers(job.kind)) {
    j.erase("result");
    j["result_hidden"] = "review is blind: a model's score of a video is shown to admins and to whoever asked for it";
  }
  return j;
}

Response jobs(ServiceContext& ctx, const Request& req) {
  const auto session = current_session(ctx.web, req);
  if (!session) throw Unauthorized("sign in to list jobs");
  std::optional<core::JobState> state;
  if (auto s = req.query_param("state")) state = core::parse_job_state(*s);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& job : ctx.jobs.list(state, req.limit_param(50))) out.push_back(visible_job(job, session, false));
  return Response::json({{"jobs", out}});
}

Response job(ServiceContext& ctx, const Request& req) {
  const int64_t id = std::stoll(req.captures.at(0)); // the pattern admits digits only
  auto job = ctx.jobs.get(id);
  const auto key = req.query_param("key");
  const bool key_opens = job && key && key->size() == 32 && job->payload.is_object() &&
                         job->payload.value("access_key_hash", "") == core::sha256_hex(*key);
  const auto session = current_session(ctx.web, req);
  if (!job || !(key_opens || session))
    throw NotFound("no job " + req.captures.at(0) + " for this address: use the status_url you were given (it "
                   "carries a key), or sign in");
  return Response::json(visible_job(*job, session, key_opens));
}

} // namespace service_api

namespace {

// Who may call a route. The check runs before the handler: 401 without a session (pages redirect to
// the sign-in page), 403 for a reviewer on an admin route. "anyone" routes check what they need
// themselves (a resource's access key, a session for more detail).
enum class Access { anyone, staff, admin };
struct Entry {
  const char* method;
  const char* path;
  Access access;
  bool page;                   // an HTML page: errors render as pages
  ContextHandler handler;      // or:
  StreamContextHandler stream; // reads its body as it arrives (uploads)
};

constexpr Entry api(const char* m, const char* p, Access a, ContextHandler h) { return {m, p, a, false, h, nullptr}; }
constexpr Entry page(const char* m, const char* p, Access a, ContextHandler h) { return {m, p, a, true, h, nullptr}; }
constexpr Entry upload(const char* m, const char* p, Access a, StreamContextHandler h, bool is_page = false) {
  return {m, p, a, is_page, nullptr, h};
}

constexpr auto anyone = Access::anyone, staff = Access::staff, admin = Access::admin;
#define ID R"((\d{1,18}))"
#define RUN R"(([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))"

// Every endpoint, in one place.
const Entry kRoutes[] = {
    // kind   method  path                                              who     handler
    api("GET",    "/healthz",                                               anyone, service_api::healthz),
    api("GET",    "/readyz",                                                anyone, service_api::readyz),
    api("GET",    "/metrics",                                               anyone, service_api::metrics),
    api("GET",    "/api/v1/status",                                         anyone, service_api::status),
    api("GET",    "/api/v1/jobs",                                           staff,  service_api::jobs),
    api("GET",    "/api/v1/jobs/" ID,                                       anyone, service_api::job),
    upload("POST","/api/v1/submissions",                                    anyone, submission_api::post_submission),
    api("GET",    "/api/v1/submissions",                                    staff,  submission_api::list_submissions),
    api("GET",    "/api/v1/submissions/" ID,                                anyone, submission_api::get_submission),
    api("GET",    "/api/v1/submissions/" ID "/tracks/(\\d{1,6})/thumbnail", anyone, submission_api::thumbnail),
    api("GET",    "/api/v1/dataset/stats",                                  anyone, dataset_api::stats),
    api("GET",    "/api/v1/dataset/snapshots",                              staff,  dataset_api::snapshots),
    api("GET",    "/api/v1/dataset/snapshots/([0-9a-f]{4,64})",             staff,  dataset_api::snapshot),
    api("GET",    "/api/v1/dataset/snapshots/([0-9a-f]{4,64})/manifest",    staff,  dataset_api::manifest),
    api("POST",   "/api/v1/session",                                        anyone, review_api::sign_in),
    api("GET",    "/api/v1/session",                                        staff,  review_api::who_am_i),
    api("DELETE", "/api/v1/session",                                        staff,  review_api::sign_out),
    api("GET",    "/api/v1/review",                                         staff,  review_api::list_items),
    api("GET",    "/api/v1/review/next",                                    staff,  review_api::next_item),
    api("GET",    "/api/v1/review/" ID,                                     staff,  review_api::get_item),
    api("POST",   "/api/v1/review/" ID "/decision",                         staff,  review_api::decide),
    api("POST",   "/api/v1/review/" ID "/reopen",                           admin,  review_api::reopen),
    api("GET",    "/api/v1/audit",                                          admin,  review_api::audit),
    api("GET",    "/api/v1/models",                                         anyone, model_api::models),
    api("GET",    "/api/v1/models/champion",                                anyone, model_api::champion),
    api("GET",    "/api/v1/models/(\\d{1,9})",                              anyone, model_api::version),
    api("GET",    "/api/v1/models/(\\d{1,9})/torchscript",                  anyone, model_api::torchscript),
    upload("POST","/api/v1/score",                                          anyone, model_api::score),
    page("GET",   "/",                                                      anyone, web_pages::index),
    upload("POST","/submit",                                                anyone, web_pages::submit, true),
    page("GET",   "/submissions/" ID,                                       anyone, web_pages::submission_page),
    page("GET",   "/login",                                                 anyone, web_pages::login_page),
    page("POST",  "/login",                                                 anyone, web_pages::login),
    page("POST",  "/logout",                                                staff,  web_pages::logout),
    page("GET",   "/review",                                                staff,  review_pages::queue),
    page("GET",   "/review/" ID,                                            staff,  review_pages::item_page),
    page("POST",  "/review/" ID "/decide",                                  staff,  review_pages::decide),
    page("GET",   "/admin",                                                 admin,  review_pages::admin),
    page("POST",  "/admin/reopen/" ID,                                      admin,  review_pages::reopen),
    page("GET",   "/admin/audit",                                           admin,  review_pages::audit),
    api("GET",    "/media/submissions/" ID "/video",                        staff,  review_pages::video),
    page("GET",   "/models",                                                anyone, model_api::models_page),
    api("GET",    "/api/v1/runs",                                           staff,  dashboard_api::runs),
    api("GET",    "/api/v1/runs/" RUN,                                      staff,  dashboard_api::run),
    api("GET",    "/api/v1/experiments",                                    staff,  dashboard_api::experiments),
    api("GET",    "/api/v1/experiments/" RUN,                               staff,  dashboard_api::experiment),
    api("GET",    "/media/faces/" ID "/(\\d{1,6})/(\\d{1,9})",              staff,  dashboard_api::face_crop),
    page("GET",   "/runs",                                                  staff,  dashboard_pages::runs_page),
    page("GET",   "/runs/" RUN,                                             staff,  dashboard_pages::run_page),
    page("GET",   "/experiments/" RUN,                                      staff,  dashboard_pages::experiment_page),
    page("GET",   "/dataset",                                               staff,  dashboard_pages::dataset_page),
    api("GET",    "/static/([a-z0-9_-]{1,64}(?:\\.min)?\\.js)",            anyone, static_api::asset),
};
#undef ID
#undef RUN

void check_access(ServiceContext& ctx, Access access, const Request& req) {
  if (access == Access::anyone) return;
  require_session(ctx.web, req, access == Access::admin);
}

} // namespace

std::vector<Route> build_routes(ServiceContext& ctx) {
  std::vector<Route> routes;
  for (const auto& e : kRoutes) {
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
