#include "serve/routes.hpp"

#include "core/migrations.hpp"
#include "core/sha256.hpp"
#include "serve/dataset_routes.hpp"
#include "serve/model_routes.hpp"
#include "serve/status_report.hpp"
#include "serve/web_pages.hpp"
#include "serve/submission_routes.hpp"
#include "serve/web_auth.hpp"

#include <SQLiteCpp/Statement.h>

#include <chrono>

namespace curator::serve {

namespace {

Response healthz(const Request&) { return Response::json({{"status", "ok"}}); }

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

Response api_status(ServiceContext& ctx, const Request&) {
  nlohmann::json report = status_report(ctx.config, false);
  report["workers"] = {{"configured", ctx.config.get_int("jobs.workers")},
                       {"busy", ctx.workers.busy()},
                       {"kinds", ctx.workers.kinds()}};
  report["started_ms"] = ctx.started_ms;
  return Response::json(report);
}

int parse_limit(const Request& req) {
  auto text = req.query_param("limit").value_or("50");
  int limit = 0;
  try {
    limit = std::stoi(text);
  } catch (const std::exception&) {
    throw InvalidInput("limit must be an integer");
  }
  if (limit < 1 || limit > 1000) throw InvalidInput("limit must be between 1 and 1000");
  return limit;
}

// Jobs are the operators' view (payloads name submissions and files): a session sees them all; anyone
// else sees one job only with the key its creator was given (score requests), as for submissions.
bool signed_in(ServiceContext& ctx, const Request& req) { return ctx.web && current_session(*ctx.web, req); }

Response api_jobs(ServiceContext& ctx, const Request& req) {
  if (!signed_in(ctx, req)) throw Unauthorized("sign in to list jobs");
  std::optional<core::JobState> state;
  if (auto s = req.query_param("state")) state = core::parse_job_state(*s);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& job : ctx.jobs.list(state, parse_limit(req))) out.push_back(job.to_json());
  return Response::json({{"jobs", out}});
}

Response api_job(ServiceContext& ctx, const Request& req) {
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

} // namespace

Route context_route(ServiceContext& ctx, const std::string& method, const std::string& pattern, ContextHandler fn,
                    bool page) {
  Route r{method, pattern, [&ctx, fn](const Request& req) { return fn(ctx, req); }};
  r.page = page;
  return r;
}

std::vector<Route> build_routes(ServiceContext& ctx) {
  std::vector<Route> routes = {
      {"GET", "/healthz", healthz},
      context_route(ctx, "GET", "/readyz", readyz),
      context_route(ctx, "GET", "/metrics", metrics),
      context_route(ctx, "GET", "/api/v1/status", api_status),
      context_route(ctx, "GET", "/api/v1/jobs", api_jobs),
      context_route(ctx, "GET", R"(/api/v1/jobs/(\d{1,18}))", api_job),
  };
  add_submission_routes(routes, ctx);
  add_dataset_routes(routes, ctx);
  if (ctx.web) {
    add_web_pages(routes, ctx);
    add_review_pages(routes, ctx);
    add_review_api(routes, ctx);
  }
  add_model_routes(routes, ctx);
  return routes;
}

} // namespace curator::serve
