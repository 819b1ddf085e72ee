#include "core/config.hpp"
#include "core/job_queue.hpp"
#include "core/sha256.hpp"
#include "labeling/accounts.hpp"
#include "serve/daemon.hpp"
#include "serve/byte_range.hpp"
#include "serve/http_server.hpp"
#include "serve/request_target.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <httplib.h>

#include <thread>

using namespace curator;

namespace {

std::vector<serve::Route> test_routes() {
  return {
      {"GET", "/ok", [](const serve::Request&) { return serve::Response::json({{"fine", true}}); }},
      {"GET", R"(/items/(\d+))",
       [](const serve::Request& r) -> serve::Response { throw NotFound("no item " + r.captures.at(0)); }},
      {"POST", "/echo", [](const serve::Request& r) { return serve::Response::json(r.json_body()); }},
      {"GET", "/bug", [](const serve::Request&) -> serve::Response { throw std::runtime_error("secret detail"); }},
      {"GET", "/busy", [](const serve::Request&) -> serve::Response { throw Unavailable("warming up"); }},
      {"GET", "/weird", [](const serve::Request&) -> serve::Response { throw 42; }},
  };
}

nlohmann::json body(const httplib::Result& res) { return nlohmann::json::parse(res->body); }

} // namespace

TEST_CASE("the server maps errors to JSON with the right status", "[http]") {
  serve::Metrics metrics;
  serve::HttpServerOptions opts;
  opts.port = 0;
  opts.max_body_bytes = 1024;
  serve::HttpServer server(opts, test_routes(), metrics);
  int port = server.start();
  REQUIRE(port > 0);
  httplib::Client client("127.0.0.1", port);

  auto ok = client.Get("/ok");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(body(ok)["fine"] == true);
  CHECK(ok->has_header("X-Request-Id"));

  auto missing = client.Get("/items/17");
  CHECK(missing->status == 404);
  CHECK(body(missing)["error"]["code"] == "not_found");
  CHECK(body(missing)["error"]["message"] == "no item 17");

  auto bad = client.Post("/echo", "{not json", "application/json");
  CHECK(bad->status == 400);
  CHECK(body(bad)["error"]["code"] == "invalid_input");

  auto echo = client.Post("/echo", R"({"a":1})", "application/json");
  CHECK(echo->status == 200);
  CHECK(body(echo)["a"] == 1);

  auto bug = client.Get("/bug");
  CHECK(bug->status == 500);
  CHECK(body(bug)["error"]["code"] == "internal");
  CHECK(bug->body.find("secret detail") == std::string::npos); // details stay in the log

  CHECK(client.Get("/busy")->status == 503);
  CHECK(client.Get("/weird")->status == 500);

  auto nowhere = client.Get("/nowhere");
  CHECK(nowhere->status == 404);
  CHECK(body(nowhere)["error"]["message"] == "no route for GET /nowhere");

  auto huge = client.Post("/echo", std::string(4096, 'x'), "application/json");
  REQUIRE(huge);
  CHECK(huge->status == 413);
  CHECK(body(huge)["error"]["code"] == "payload_too_large");

  // The server still serves after all of that.
  CHECK(client.Get("/ok")->status == 200);
  core::WorkerRecord alive, gone, stopped;
  alive.alive = true;
  stopped.stopped_ms = 1;
  std::string text = metrics.render({}, 0, {alive, gone, stopped});
  CHECK_THAT(text, Catch::Contains(R"(curator_worker_processes{state="alive"} 1)"));
  CHECK_THAT(text, Catch::Contains(R"(curator_worker_processes{state="gone"} 1)")); // the stopped one is neither
  CHECK_THAT(text, Catch::Contains(R"(curator_http_requests_total{method="GET",route="/ok",status="200"} 2)"));
  CHECK_THAT(text, Catch::Contains(R"x(route="/items/(\\d+)",status="404"} 1)x"));
  CHECK_THAT(text, Catch::Contains("curator_http_request_duration_seconds_bucket"));
  server.stop();
  server.stop(); // idempotent
}

TEST_CASE("request targets: the path decoded as routes match it, the query as form fields", "[http]") {
  const auto t = serve::parse_request_target("/api/v1/runs/a%20b+c?q=x+y%26z&state=done&flag&=v&&state=failed&bad=%zz");
  CHECK(t.path == "/api/v1/runs/a b+c"); // '+' is only a space in the query
  CHECK(t.query.count("state") == 2);
  CHECK(t.query.find("q")->second == "x y&z");
  CHECK(t.query.find("flag")->second.empty());
  CHECK(t.query.find("")->second == "v");
  CHECK(t.query.find("bad")->second == "%zz"); // a malformed escape stays as sent
  CHECK(serve::parse_request_target("/plain").query.empty());
  CHECK(serve::percent_decode("%00", false) == std::string(1, '\0'));
}

TEST_CASE("byte ranges: one range, suffixes, clamped ends; others are answered whole or unsatisfiable", "[http]") {
  using Kind = serve::ByteRange::Kind;
  const auto range = [](const std::string& h, uint64_t size) { return serve::parse_byte_range(h, size); };
  CHECK(range("bytes=0-99", 1000).kind == Kind::partial);
  CHECK(range("bytes=0-99", 1000).last == 99);
  CHECK(range("bytes=900-", 1000).first == 900);
  CHECK(range("bytes=900-", 1000).last == 999);
  CHECK(range("bytes=-100", 1000).first == 900);
  CHECK(range("bytes=-5000", 1000).first == 0);
  CHECK(range("bytes=10-5000", 1000).last == 999);
  CHECK(range("bytes=1000-", 1000).kind == Kind::unsatisfiable);
  CHECK(range("bytes=-0", 1000).kind == Kind::unsatisfiable);
  CHECK(range("bytes=50-10", 1000).kind == Kind::unsatisfiable);
  for (const char* whole : {"", "bytes=", "bytes=-", "items=0-1", "bytes=0-1,5-6", "bytes=a-b", "bytes=+1-2",
                            "bytes=99999999999999999999999-"})
    CHECK(range(whole, 1000).kind == Kind::whole);
}

TEST_CASE("two servers cannot share a port", "[http]") {
  serve::Metrics metrics;
  serve::HttpServer a({"127.0.0.1", 0, 2}, test_routes(), metrics);
  int port = a.start();
  serve::HttpServer b({"127.0.0.1", port, 2}, test_routes(), metrics);
  CHECK_THROWS_AS(b.start(), Unavailable);
}

TEST_CASE("the daemon serves health, readiness, metrics and status on port 0", "[http]") {
  test::TempDir dir;
  auto config = core::Config::defaults(core::default_settings(),
                                       {{"data.dir", (dir / "var").string()}, {"server.port", "0"}, {"jobs.workers", "1"}});
  serve::DaemonOptions options;
  options.extra_job_kinds.push_back({"echo", [](const core::Job& j, core::JobContext&) { return j.payload; }});
  serve::Daemon daemon(config, std::move(options));
  daemon.start();
  httplib::Client client("127.0.0.1", daemon.port());

  CHECK(client.Get("/healthz")->status == 200);
  auto ready = client.Get("/readyz");
  CHECK(ready->status == 200);
  CHECK(body(ready)["checks"]["database"] == "ok");

  // Jobs: a session sees them all; without one, a job opens only with the key its creator was given.
  const std::string key(32, 'k');
  int64_t id = daemon.jobs().enqueue({"echo", {{"v", 1}, {"access_key_hash", core::sha256_hex(key)}}});
  daemon.jobs().enqueue({"echo-unknown"});
  const std::string path = "/api/v1/jobs/" + std::to_string(id);
  nlohmann::json job;
  for (int i = 0; i < 500; ++i) {
    job = body(client.Get((path + "?key=" + key).c_str()));
    if (job["state"] == "done") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(job["state"] == "done");
  CHECK(job["result"]["v"] == 1);
  CHECK(client.Get(path.c_str())->status == 404);
  CHECK(client.Get((path + "?key=" + std::string(32, 'x')).c_str())->status == 404);
  CHECK(client.Get("/api/v1/jobs")->status == 401);
  core::SystemClock clock;
  labeling::Accounts(daemon.database(), clock, labeling::PasswordCost::minimum())
      .add_user("test", "olga", labeling::Role::admin, "olga-password");
  auto signed_in = client.Post("/api/v1/session", R"({"username":"olga","password":"olga-password"})", "application/json");
  REQUIRE(signed_in->status == 200);
  const std::string set = signed_in->get_header_value("Set-Cookie");
  const httplib::Headers session = {{"Cookie", set.substr(0, set.find(';'))}};
  CHECK(client.Get(path.c_str(), session)->status == 200);
  CHECK(client.Get("/api/v1/jobs/999999", session)->status == 404);
  CHECK(client.Get("/api/v1/jobs?limit=0", session)->status == 400);
  CHECK(body(client.Get("/api/v1/jobs?state=queued", session))["jobs"].size() == 1);

  auto metrics = client.Get("/metrics");
  CHECK(metrics->status == 200);
  CHECK_THAT(metrics->get_header_value("Content-Type"), Catch::StartsWith("text/plain; version=0.0.4"));
  CHECK_THAT(metrics->body, Catch::Contains(R"(curator_jobs{kind="echo",state="done"} 1)"));
  CHECK_THAT(metrics->body, Catch::Contains(R"(curator_jobs{kind="echo-unknown",state="queued"} 1)"));
  CHECK_THAT(metrics->body, Catch::Contains(R"(curator_http_requests_total{method="GET",route="/healthz",status="200"} 1)"));

  const auto anonymous = body(client.Get("/api/v1/status"));
  CHECK_FALSE(anonymous.contains("data_dir"));
  CHECK_FALSE(anonymous.contains("workers"));
  auto status = body(client.Get("/api/v1/status", session));
  CHECK(status.contains("data_dir"));
  CHECK(status["database"]["up_to_date"] == true);
  CHECK(status["database"]["jobs"]["total"]["done"] == 1);
  CHECK(status["workers"]["kinds"] ==
        nlohmann::json::array({"blob.forget", "dataset.refresh", "echo", "ingest.video", "model.retrain", "review.score", "score.video"}));

  // One daemon per data folder.
  serve::Daemon second(config);
  CHECK_THROWS_AS(second.start(), Conflict);
  CHECK(daemon.stop("test"));
}

TEST_CASE("a connection over the limit gets a well-formed 503 with a request id, then is closed", "[http]") {
  serve::Metrics metrics;
  serve::HttpServerOptions opts;
  opts.port = 0;
  opts.max_connections = 1;
  serve::HttpServer server(opts, test_routes(), metrics);
  const int port = server.start();
  httplib::Client holder("127.0.0.1", port);
  holder.set_keep_alive(true);
  REQUIRE(holder.Get("/ok")->status == 200); // this connection stays open
  httplib::Client second("127.0.0.1", port);
  auto res = second.Get("/ok");
  REQUIRE(res);
  CHECK(res->status == 503);
  CHECK(res->has_header("X-Request-Id"));
  CHECK(res->get_header_value("Retry-After") == "1");
  CHECK(res->get_header_value("Content-Length") == std::to_string(res->body.size()));
  CHECK(body(res)["error"]["code"] == "unavailable");
  server.stop();
}

TEST_CASE("one client address cannot hold every connection", "[http]") {
  serve::Metrics metrics;
  serve::HttpServerOptions opts;
  opts.port = 0;
  opts.max_connections = 100;
  opts.max_connections_per_address = 2;
  serve::HttpServer server(opts, test_routes(), metrics);
  const int port = server.start();
  std::vector<std::unique_ptr<httplib::Client>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::make_unique<httplib::Client>("127.0.0.1", port));
    held.back()->set_keep_alive(true);
    REQUIRE(held.back()->Get("/ok")->status == 200);
  }
  httplib::Client third("127.0.0.1", port);
  auto res = third.Get("/ok");
  REQUIRE(res);
  CHECK(res->status == 503); // the same address, over its share
  held.clear();              // those connections close: the address may connect again
  bool admitted = false;
  for (int i = 0; i < 50 && !admitted; ++i) {
    httplib::Client again("127.0.0.1", port);
    auto r = again.Get("/ok");
    admitted = r && r->status == 200;
    if (!admitted) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(admitted);
  server.stop();
}
