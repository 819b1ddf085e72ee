// Probes from outside against the real daemon (`curator serve` in a child process on loopback): URL
// submissions that try to reach the service or its neighbours, slow and huge requests, request desync,
// open redirects, byte ranges, sign-in lockout, smaller leaks, footage that looks like a duplicate but
// is not, broken video data, and a full disk. Every case is bounded in time.
#include "core/clock.hpp"
#include "core/database.hpp"
#include "core/migrations.hpp"
#include "labeling/accounts.hpp"
#include "tests/support/ingest_env.hpp"
#include "tests/support/process.hpp"
#include "tests/support/served_daemon.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

#include <SQLiteCpp/Database.h>
#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <netdb.h>
#include <sys/mount.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

using namespace curator;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

void add_reviewers(const fs::path& data) {
  fs::create_directories(data);
  core::Database db(data / "curator.db", 5000);
  auto conn = db.connect();
  core::migrate(*conn);
  core::SystemClock clock;
  labeling::Accounts accounts(db, clock, labeling::PasswordCost::minimum());
  accounts.add_user("test", "rita", labeling::Role::reviewer, "rita-password");
  accounts.add_user("test", "boss", labeling::Role::admin, "boss-password");
}

httplib::Client client(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(30);
  return c;
}

nlohmann::json submit_url(httplib::Client& c, const std::string& url) {
  auto res = c.Post("/api/v1/submissions", nlohmann::json{{"url", url}, {"label", "real"}}.dump(), "application/json");
  REQUIRE(res);
  nlohmann::json j = nlohmann::json::parse(res->body, nullptr, false);
  j["http_status"] = res->status;
  return j;
}

// The submission's state once it has left queued/processing (staff view through the database is not
// needed: the receipt's status_url carries the key).
nlohmann::json final_state(httplib::Client& c, const nlohmann::json& receipt, std::chrono::seconds limit) {
  nlohmann::json last;
  test::eventually(
      [&] {
        auto res = c.Get(receipt["status_url"].get<std::string>().c_str());
        if (!res || res->status != 200) return false;
        last = nlohmann::json::parse(res->body);
        return last["state"] != "queued" && last["state"] != "processing";
      },
      limit);
  return last;
}

// Probe server (tests/support/probe_server.py) on 127.0.0.2: the one internal address the daemon is told
// to trust, so that redirects from it can be followed towards addresses it must refuse.
struct ProbeServer {
  std::unique_ptr<test::Process> process;
  int port = 0;
  ProbeServer(const fs::path& log_prefix, const fs::path& video) {
    const auto script = test::required_env_path("CURATOR_SOURCE_DIR") / "tests/support/probe_server.py";
    process = std::make_unique<test::Process>(std::vector<std::string>{"/usr/bin/python3", script.string(),
                                                                       "127.0.0.2", video.string()},
                                              std::map<std::string, std::string>{}, log_prefix);
    REQUIRE(test::eventually(
        [&] {
          const auto text = process->stdout_text();
          if (text.find('\n') == std::string::npos) return false;
          port = std::stoi(text);
          return true;
        },
        10s));
  }
};

} // namespace

TEST_CASE("URL submissions reach public addresses only, by any spelling, redirect or name", "[reliability]") {
  CURATOR_SHARED_DATA(data);
  test::TempDir tmp("curator-ssrf");
  const auto video = data / "video/retalking/3.mp4";
  ProbeServer probe(tmp / "probe", video);
  const std::string p = std::to_string(probe.port);
  test::ServedDaemon d({{"ingest.url_allow_networks", "127.0.0.2"},
                        {"ingest.url_ports", "80,443," + p},
                        {"ingest.url_timeout_s", "4"},
                        {"ingest.sample_frames", "4"},
                        {"jobs.workers", "1"},
                        {"jobs.poll_interval_ms", "50"},
                        {"web.anonymous_submissions_per_hour", "1000"}});
  auto c = client(d.port());
  const std::string self = "http://127.0.0.1:" + std::to_string(d.port()) + "/api/v1/status";

  // Literal addresses and local names: refused at the door, naming the rule.
  for (const std::string& url :
       {"http://127.0.0.1:" + std::to_string(d.port()) + "/", std::string("http://localhost/x"), std::string("http://127.1/"),
        std::string("http://2130706433/"), std::string("http://0/"), std::string("http://0x7f.1/"), std::string("http://[::1]/"),
        std::string("http://169.254.169.254/latest/meta-data/"), std::string("http://[::ffff:127.0.0.1]/"),
        std::string("http://10.0.0.1/"), std::string("http://192.168.1.1/"), std::string("http://[fd00::1]/"),
        std::string("http://224.0.0.1/"), std::string("http://example.com:8080/")}) {
    INFO(url);
    const auto r = submit_url(c, url);
    CHECK(r["http_status"] == 400);
    CHECK(r["error"]["message"].get<std::string>().find("refused") == 0);
  }
  // The allowed host itself works: the positive control.
  const auto ok = submit_url(c, "http://127.0.0.2:" + p + "/video.mp4");
  REQUIRE(ok["http_status"] == 202);
  // Redirects and names are judged on the address actually connected to.
  const auto via_redirect = submit_url(c, "http://127.0.0.2:" + p + "/redirect?to=" + self);
  const auto to_metadata = submit_url(c, "http://127.0.0.2:" + p + "/redirect?to=http://169.254.169.254:" + p + "/");
  const auto not_video = submit_url(c, "http://127.0.0.2:" + p + "/text");
  REQUIRE(via_redirect["http_status"] == 202);
  const auto done = final_state(c, ok, 60s);
  CHECK(done["state"] == "done");
  const auto redirected = final_state(c, via_redirect, 30s);
  CHECK(redirected["state"] == "rejected");
  CHECK(redirected["reason"] == "refused: loopback address 127.0.0.1");
  CHECK(final_state(c, to_metadata, 30s)["reason"] == "refused: link-local address 169.254.169.254");
  // A download that is not a video is rejected and its bytes are not kept.
  const auto text = final_state(c, not_video, 30s);
  CHECK(text["state"] == "rejected");
  CHECK_FALSE(text.contains("sha256"));
  // A name that resolves inward (this machine's name, where /etc/hosts maps it to loopback).
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  addrinfo* found = nullptr;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  if (::getaddrinfo(host, nullptr, &hints, &found) == 0 && found &&
      (ntohl(reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr.s_addr) >> 24) == 127) {
    const auto named = submit_url(c, "http://" + std::string(host) + ":" + p + "/video.mp4");
    REQUIRE(named["http_status"] == 202);
    CHECK(final_state(c, named, 30s)["reason"].get<std::string>().find("refused: loopback address 127.") == 0);
  } else {
    WARN("this machine's name does not resolve to loopback: the by-name case is not run");
  }
  if (found) ::freeaddrinfo(found);
  // Media answers are never sniffed into something else.
  CHECK(c.Get("/healthz")->get_header_value("X-Content-Type-Options") == "nosniff");
}

TEST_CASE("slow downloads hold the download pool, never the ingest of uploads", "[reliability]") {
  CURATOR_SHARED_DATA(data);
  test::TempDir tmp("curator-slow");
  ProbeServer probe(tmp / "probe", data / "video/retalking/3.mp4");
  const std::string p = std::to_string(probe.port);
  test::ServedDaemon d({{"ingest.url_allow_networks", "127.0.0.2"},
                        {"ingest.url_ports", p},
                        {"ingest.url_timeout_s", "120"},
                        {"ingest.url_workers", "2"},
                        {"ingest.sample_frames", "4"},
                        {"jobs.workers", "1"},
                        {"jobs.poll_interval_ms", "50"}});
  auto c = client(d.port());
  const auto slow1 = submit_url(c, "http://127.0.0.2:" + p + "/slow"), slow2 = submit_url(c, "http://127.0.0.2:" + p + "/slow");
  std::ifstream in(data / "video/lipnet/bbaf2n.mpg", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto started = std::chrono::steady_clock::now();
  auto up = c.Post("/api/v1/submissions", httplib::MultipartFormDataItems{{"file", bytes, "clip.mpg", "video/mpeg"},
                                                                          {"label", "real", "", ""}});
  REQUIRE(up->status == 202);
  const auto uploaded = final_state(c, nlohmann::json::parse(up->body), 60s);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  INFO("the upload was ingested in " << seconds << " s (the slow downloads are cut off after 30 s)");
  CHECK(uploaded["state"] == "done");
  // Done while both slow downloads still crawl (they are cut off by the low-speed limit after 30 s).
  auto state_now = [&](const nlohmann::json& receipt) {
    return nlohmann::json::parse(c.Get(receipt["status_url"].get<std::string>().c_str())->body)["state"];
  };
  CHECK(state_now(slow1) == "processing");
  CHECK(state_now(slow2) == "processing");
  CHECK(final_state(c, slow1, 90s)["reason"].get<std::string>().find("download too slow") == 0);
  CHECK(final_state(c, slow2, 90s)["state"] == "rejected");
}

TEST_CASE("200 slow clients hold no thread: /healthz answers within 2 s, and their heads time out", "[reliability]") {
  test::ServedDaemon d({{"server.head_timeout_s", "5"}, {"jobs.workers", "0"}});
  std::vector<std::unique_ptr<test::RawClient>> slow;
  for (int i = 0; i < 200; ++i) {
    slow.push_back(std::make_unique<test::RawClient>(d.port()));
    REQUIRE(slow.back()->send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
  }
  std::atomic<bool> stop{false};
  std::thread trickle([&] { // one header line a second from every slow client
    for (int s = 0; s < 8 && !stop; ++s) {
      for (auto& client : slow) client->send("X-Slow-" + std::to_string(s) + ": 1\r\n");
      std::this_thread::sleep_for(1s);
    }
  });
  double worst = 0;
  int answered = 0;
  for (int i = 0; i < 16; ++i) {
    auto c = client(d.port());
    c.set_connection_timeout(2);
    c.set_read_timeout(2);
    const auto t0 = std::chrono::steady_clock::now();
    auto res = c.Get("/healthz");
    worst = std::max(worst, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    answered += res && res->status == 200;
    std::this_thread::sleep_for(250ms);
  }
  INFO("worst /healthz latency " << worst << " s");
  CHECK(answered == 16);
  CHECK(worst < 2.0);
  // The slow heads are cut off at the deadline (5 s), however they trickle.
  int closed = 0;
  for (auto& client : slow) closed += client->closed_by_server(3s);
  stop = true;
  trickle.join();
  CHECK(closed == 200);
}

TEST_CASE("bodies and heads over the limits are refused without growing memory", "[reliability]") {
  test::ServedDaemon d({{"jobs.workers", "0"}, {"log.level", "info"}});
  const long before = d.rss_kb();
  REQUIRE(before > 0);
  { // 1 GB chunked at the sign-in route: 413 after 64 KB, then the connection is closed.
    test::RawClient raw(d.port());
    REQUIRE(raw.send("POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n"));
    const std::string chunk = "100000\r\n" + std::string(1 << 20, 'a') + "\r\n";
    int sent = 0;
    while (sent < 1024 && raw.send(chunk)) ++sent;
    INFO("chunks of 1 MB sent before the server closed: " << sent);
    CHECK(sent < 1024);
    const auto answer = raw.read_all(2s);
    CHECK((answer.empty() || answer.find("413") != std::string::npos));
  }
  { // A declared huge body is refused before a byte of it is read.
    test::RawClient raw(d.port());
    raw.send("POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
             "1000000000\r\n\r\n{");
    CHECK(raw.read_all(3s).find("HTTP/1.1 413") == 0);
  }
  { // 190 MB of header lines: 431 after 16 KB.
    test::RawClient raw(d.port());
    raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    const std::string line = "X-Pad: " + std::string(1000, 'p') + "\r\n";
    int sent = 0;
    std::string block;
    for (int i = 0; i < 1000; ++i) block += line;
    while (sent < 190 && raw.send(block)) ++sent;
    CHECK(sent < 190);
  }
  const long after = d.rss_kb();
  INFO("daemon RSS " << before << " KB -> " << after << " KB");
  CHECK(after - before < 50 * 1024);
  CHECK(client(d.port()).Get("/healthz")->status == 200);
}

TEST_CASE("conflicting framing (Content-Length with Transfer-Encoding, two lengths) answers 400 and closes",
          "[reliability]") {
  test::ServedDaemon d({{"jobs.workers", "0"}, {"log.level", "info"}});
  for (const std::string head : {"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                                 "Content-Length: 5\r\nContent-Length: 7\r\n"}) {
    INFO(head);
    test::RawClient raw(d.port());
    REQUIRE(raw.send("POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + head +
                     "\r\n0\r\n\r\n"));
    const auto answer = raw.read_all(3s);
    CHECK(answer.find("HTTP/1.1 400") == 0);
    CHECK(answer.find("X-Request-Id") != std::string::npos);
  }
  CHECK(client(d.port()).Get("/healthz")->status == 200);
}

TEST_CASE("a database held by another process: /healthz answers at once, a sign-in gets 503 with Retry-After, /readyz 503",
          "[reliability]") {
  test::TempDir tmp("curator-locked");
  add_reviewers(tmp / "var");
  test::ServedDaemon d({{"jobs.workers", "0"}, {"db.busy_timeout_ms", "1000"}}, tmp / "var");
  SQLite::Database other((tmp / "var" / "curator.db").string(), SQLite::OPEN_READWRITE);
  other.exec("BEGIN EXCLUSIVE"); // as a backup or a long migration would
  int status = 0;
  std::string retry_after, body;
  std::thread sign_in([&] { // Catch's checks stay on the test's thread
    auto res = client(d.port()).Post("/api/v1/session", R"({"username":"rita","password":"rita-password"})",
                                     "application/json");
    if (!res) return;
    status = res->status, retry_after = res->get_header_value("Retry-After"), body = res->body;
  });
  // While handler threads wait on the lock, liveness does not.
  for (int i = 0; i < 5; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto health = client(d.port()).Get("/healthz");
    REQUIRE(health);
    CHECK(health->status == 200);
    CHECK(std::chrono::steady_clock::now() - t0 < 500ms);
    std::this_thread::sleep_for(100ms);
  }
  sign_in.join();
  INFO(body);
  CHECK(status == 503);
  CHECK(retry_after == "1");
  CHECK_THAT(body, Catch::Contains("busy"));
  const auto ready = client(d.port()).Get("/readyz"); // reads still work: only a write attempt tells
  REQUIRE(ready);
  CHECK(ready->status == 503);
  CHECK_THAT(ready->body, Catch::Contains("locked"));
  other.exec("ROLLBACK");
  CHECK(client(d.port()).Get("/readyz")->status == 200);
  CHECK(client(d.port()).Post("/api/v1/session", R"({"username":"rita","password":"rita-password"})",
                              "application/json")->status == 200);
}

TEST_CASE("an early answer closes the connection: a body is never read as a second request", "[reliability]") {
  test::ServedDaemon d({{"jobs.workers", "0"}, {"log.level", "info"}});
  test::RawClient raw(d.port());
  const std::string smuggled = "GET /api/v1/status HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string body = "{\"url\": \"http://example.com/" + std::string(70000, 'a') + "\"}" + smuggled;
  REQUIRE(raw.send("POST /api/v1/submissions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body));
  const auto answer = raw.read_all(5s);
  INFO(answer.substr(0, 300));
  size_t responses = 0;
  for (size_t at = answer.find("HTTP/1.1 "); at != std::string::npos; at = answer.find("HTTP/1.1 ", at + 1)) ++responses;
  CHECK(responses == 1);
  CHECK(answer.find("HTTP/1.1 413") == 0);
}

TEST_CASE("sign-in: redirects stay on the site; failing on purpose locks nobody out; proxies and origins", "[reliability]") {
  test::TempDir tmp("curator-login");
  add_reviewers(tmp / "var");
  test::ServedDaemon d({{"jobs.workers", "0"}, {"web.trusted_proxies", "127.0.0.1"}}, tmp / "var");
  auto c = client(d.port());
  auto form_login = [&](const std::string& user, const std::string& password, const std::string& next,
                        const std::string& extra_cookie, const std::string& forwarded_for) {
    auto page = c.Get("/login");
    const std::string set = page->get_header_value("Set-Cookie");
    const std::string token = set.substr(set.find('=') + 1, 64);
    httplib::Headers h = {{"Cookie", "curator_csrf=" + token + (extra_cookie.empty() ? "" : "; " + extra_cookie)}};
    if (!forwarded_for.empty()) h.emplace("X-Forwarded-For", forwarded_for);
    return c.Post("/login", h,
                  "csrf=" + token + "&username=" + user + "&password=" + password + "&next=" + next,
                  "application/x-www-form-urlencoded");
  };
  // Open redirects: tabs, line breaks, backslashes, schemes and "//" all land on "/".
  for (const char* next : {"%2F%09%2Fevil.example", "%2F%0A%2Fevil.example", "%2F%2Fevil.example",
                                  "%2F%5Cevil.example", "https%3A%2F%2Fevil.example", "%2F%0D%2Fevil.example"}) {
    INFO(next);
    auto res = form_login("rita", "rita-password", next, "", "203.0.113.1");
    REQUIRE(res->status == 303);
    CHECK(res->get_header_value("Location") == "/");
  }
  auto good = form_login("rita", "rita-password", "%2Freview%2F5", "", "203.0.113.1");
  CHECK(good->get_header_value("Location") == "/review/5");
  // rita's browser is known now (its device cookie).
  std::string device;
  for (const auto& [k, v] : good->headers)
    if (k == "Set-Cookie" && v.rfind("curator_device=", 0) == 0) device = v.substr(0, v.find(';'));
  REQUIRE_FALSE(device.empty());
  // Someone else fails on purpose from many addresses (behind the proxy): strangers are held back...
  for (int i = 0; i < 8; ++i) form_login("rita", "wrong-password", "%2F", "", "198.51.100." + std::to_string(i));
  CHECK(form_login("rita", "rita-password", "%2F", "", "192.0.2.50")->status == 429);
  // ...but rita on her own browser is not.
  CHECK(form_login("rita", "rita-password", "%2F", device, "192.0.2.51")->status == 303);
  // Behind one NAT: many failures from one address hold back unknown browsers there, never rita's own.
  for (int i = 0; i < 25; ++i) form_login("nobody" + std::to_string(i), "wrong-password", "%2F", "", "192.0.2.99");
  CHECK(form_login("boss", "boss-password", "%2F", "", "192.0.2.99")->status == 429);
  CHECK(form_login("rita", "rita-password", "%2F", device, "192.0.2.99")->status == 303);
  // Login CSRF: a foreign page posting text/plain, or any foreign Origin, is refused.
  auto plain = c.Post("/api/v1/session", R"({"username":"rita","password":"rita-password"})", "text/plain");
  CHECK(plain->status == 400);
  auto foreign = c.Post("/api/v1/session", {{"Origin", "http://evil.example"}},
                        R"({"username":"rita","password":"rita-password"})", "application/json");
  CHECK(foreign->status == 403);
  auto same = c.Post("/api/v1/session", {{"Origin", "http://127.0.0.1:" + std::to_string(d.port())}},
                     R"({"username":"boss","password":"boss-password"})", "application/json");
  CHECK(same->status == 200);
  // Anonymous status says the service works, not where it keeps its files or which process it is.
  const auto status = nlohmann::json::parse(c.Get("/api/v1/status")->body);
  CHECK_FALSE(status.contains("data_dir"));
  CHECK_FALSE(status["database"].contains("path"));
  CHECK_FALSE(status["daemon"].contains("pid"));
  CHECK(c.Get("/api/v1/status")->body.find(tmp.path().string()) == std::string::npos);
}

TEST_CASE("video answers: ranges clamped, unsatisfiable ones answered once; own anonymous uploads unreviewable",
          "[reliability]") {
  CURATOR_SHARED_DATA(data);
  test::TempDir tmp("curator-media");
  add_reviewers(tmp / "var");
  test::ServedDaemon d({{"jobs.workers", "1"}, {"jobs.poll_interval_ms", "50"}, {"ingest.sample_frames", "4"}}, tmp / "var");
  auto c = client(d.port());
  std::ifstream in(data / "video/retalking/3.mp4", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Uploaded anonymously from a browser that keeps its cookies.
  auto up = c.Post("/api/v1/submissions", httplib::MultipartFormDataItems{{"file", bytes, "talk.mp4", "video/mp4"},
                                                                          {"label", "real", "", ""}});
  REQUIRE(up->status == 202);
  const std::string uploader = up->get_header_value("Set-Cookie").substr(0, up->get_header_value("Set-Cookie").find(';'));
  REQUIRE(uploader.rfind("curator_uploader=", 0) == 0);
  const auto receipt = nlohmann::json::parse(up->body);
  REQUIRE(final_state(c, receipt, 60s)["state"] == "done");
  const int64_t id = receipt["id"];
  auto sign_in = [&](const std::string& user, const std::string& password, const std::string& extra) {
    auto res = c.Post("/api/v1/session", {{"Cookie", extra}}, nlohmann::json{{"username", user}, {"password", password}}.dump(),
                      "application/json");
    REQUIRE(res->status == 200);
    std::string session;
    for (const auto& [k, v] : res->headers)
      if (k == "Set-Cookie" && v.rfind("curator_session=", 0) == 0) session = v.substr(0, v.find(';'));
    return std::pair{session, nlohmann::json::parse(res->body)["csrf_token"].get<std::string>()};
  };
  const auto [session, csrf] = sign_in("rita", "rita-password", uploader);
  const std::string path = "/media/submissions/" + std::to_string(id) + "/video";
  auto whole = c.Get(path.c_str(), {{"Cookie", session}, {"Range", "bytes=0-99999999999"}});
  REQUIRE(whole->status == 206);
  CHECK(whole->body.size() == bytes.size());
  CHECK(whole->get_header_value("Content-Range") ==
        "bytes 0-" + std::to_string(bytes.size() - 1) + "/" + std::to_string(bytes.size()));
  CHECK(whole->get_header_value("X-Content-Type-Options") == "nosniff");
  auto past = c.Get(path.c_str(), {{"Cookie", session}, {"Range", "bytes=" + std::to_string(bytes.size()) + "-"}});
  CHECK(past->status == 416);
  CHECK(past->get_header_value_count("Content-Range") == 1);
  // The browser that uploaded it cannot confirm it, signed in or not; another browser can.
  auto own = c.Post(("/api/v1/review/" + std::to_string(id) + "/decision").c_str(),
                    {{"Cookie", session + "; " + uploader}, {"X-CSRF-Token", csrf}}, R"({"decision":"real"})",
                    "application/json");
  CHECK(own->status == 403);
  const auto [boss, boss_csrf] = sign_in("boss", "boss-password", "");
  auto other = c.Post(("/api/v1/review/" + std::to_string(id) + "/decision").c_str(),
                      {{"Cookie", boss}, {"X-CSRF-Token", boss_csrf}}, R"({"decision":"real"})", "application/json");
  CHECK(other->status == 200);
}

TEST_CASE("the same footage with other faces is kept and linked in both orders; broken data is rejected", "[reliability]") {
  CURATOR_SHARED_DATA(shared);
  const auto data = shared / "deepfake/eyecantell";
  test::TempDir tmp("curator-footage");
  const std::string bin = test::required_env_path("CURATOR_BIN").string();
  auto ingest = [&](const std::string& dir, std::vector<std::string> files) {
    std::vector<std::string> argv = {bin, "ingest"};
    argv.insert(argv.end(), files.begin(), files.end());
    argv.insert(argv.end(), {"--label", "real", "--wait", "--data-dir", (tmp / dir).string(), "--set", "ingest.sample_frames=8",
                             "--set", "faces.models_dir=" + test::required_env_path("CURATOR_MODELS_DIR").string(),
                             "--set", "log.level=warn"});
    test::Process p(argv, {}, tmp / (dir + "-log"));
    REQUIRE(p.wait(180s));
    std::vector<nlohmann::json> out;
    std::istringstream lines(p.stdout_text());
    for (std::string line; std::getline(lines, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  };
  for (const auto& order : {std::vector<std::string>{"RealObama.mp4", "FakeObama.mp4"},
                            std::vector<std::string>{"FakeReagan.mp4", "RealReagan.mp4"}}) {
    const auto results = ingest(order[0], {(data / order[0]).string(), (data / order[1]).string()});
    REQUIRE(results.size() == 2);
    for (const auto& r : results) {
      INFO(r.dump());
      CHECK(r["state"] == "done"); // both kept: a face swap of footage is not a copy of it
    }
    const auto refresh = test::run({bin, "dataset", "refresh", "--json", "--data-dir", (tmp / order[0]).string()}, {}, tmp.path());
    CHECK(nlohmann::json::parse(refresh.out)["units"] == 1); // one split unit
  }
  // Whole frames alike, faces not (the face region altered, as a face swap does): kept and joined by its
  // footage, in both orders. A plain re-encode of the same footage and faces is kept too, and linked to
  // its original as the same footage: only the same bytes are dropped.
  const auto clip = shared / "video/lipnet/bbaf2n.mpg";
  test::ffmpeg({"-i", clip.string(), "-filter_complex", "[0:v]crop=110:150:96:100,boxblur=8[f];[0:v][f]overlay=96:100",
                "-c:v", "libx264", "-crf", "18", "-an", (tmp / "face-altered.mp4").string()}, tmp.path());
  test::ffmpeg({"-i", clip.string(), "-c:v", "libx264", "-crf", "23", "-an", (tmp / "reencoded.mp4").string()}, tmp.path());
  for (const auto& [dir, files] : {std::pair{std::string("altered-first"),
                                             std::vector<std::string>{(tmp / "face-altered.mp4").string(), clip.string(),
                                                                      (tmp / "reencoded.mp4").string()}},
                                   std::pair{std::string("original-first"),
                                             std::vector<std::string>{clip.string(), (tmp / "face-altered.mp4").string(),
                                                                      (tmp / "reencoded.mp4").string()}}}) {
    const auto results = ingest(dir, files);
    REQUIRE(results.size() == 3);
    INFO(dir << ": " << results[0].dump() << results[1].dump() << results[2].dump());
    CHECK(results[0]["state"] == "done");
    CHECK(results[1]["state"] == "done");
    CHECK(results[2]["state"] == "done");
    // Linked to an earlier video of the same footage (the original, or the face-altered one before it).
    const auto linked = results[2].value("same_footage_as", int64_t{0});
    CHECK((linked == results[0]["id"].get<int64_t>() || linked == results[1]["id"].get<int64_t>()));
    const auto refresh = test::run({bin, "dataset", "refresh", "--json", "--data-dir", (tmp / dir).string()}, {}, tmp.path());
    const auto sum = nlohmann::json::parse(refresh.out);
    CHECK(sum["duplicate_links"] == 3); // all three are one footage: it joins their split units
    CHECK(sum["units"] == 1);
  }
  // A reenactment-strength change (the mouth moved by 2 px, as a subtle lip-sync edit does) and its real
  // original, both claimed real, in both orders: neither is lost as a "duplicate"; they are linked and
  // share a split unit.
  test::ffmpeg({"-i", clip.string(), "-filter_complex", "[0:v]crop=50:24:126:205[m];[0:v][m]overlay=128:207", "-c:v",
                "libx264", "-crf", "18", "-an", (tmp / "reenacted.mp4").string()}, tmp.path());
  for (const auto& [dir, files] : {std::pair{std::string("reenacted-first"),
                                             std::vector<std::string>{(tmp / "reenacted.mp4").string(), clip.string()}},
                                   std::pair{std::string("real-first"),
                                             std::vector<std::string>{clip.string(), (tmp / "reenacted.mp4").string()}}}) {
    const auto results = ingest(dir, files);
    REQUIRE(results.size() == 2);
    INFO(dir << ": " << results[0].dump() << results[1].dump());
    CHECK(results[0]["state"] == "done");
    CHECK(results[1]["state"] == "done"); // before: "duplicate: the same footage and faces", the real clip lost
    const auto refresh = test::run({bin, "dataset", "refresh", "--json", "--data-dir", (tmp / dir).string()}, {}, tmp.path());
    CHECK(nlohmann::json::parse(refresh.out)["units"] == 1);
  }
  // The same file twice is a duplicate, as before.
  const auto twice = ingest("twice", {(data / "RealTaxi.mp4").string(), (data / "RealTaxi.mp4").string()});
  CHECK(twice[1]["state"] == "duplicate");
  // 20 KB of random bytes in the middle of a clip: broken frames counted, the clip rejected with why.
  std::ifstream in(shared / "video/retalking/1.mp4", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::mt19937 rng(1);
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 20 * 1024; ++i) bytes[i] = static_cast<char>(rng());
  std::ofstream(tmp / "broken.mp4", std::ios::binary) << bytes;
  const auto broken = ingest("broken", {(tmp / "broken.mp4").string()});
  INFO(broken[0].dump());
  CHECK(broken[0]["state"] == "rejected");
  CHECK(broken[0]["reason"].get<std::string>().find("could not be decoded") != std::string::npos);
}

TEST_CASE("a full disk: not ready, and uploads refused with 507 before they start", "[reliability]") {
  test::TempDir tmp("curator-disk");
  const auto var = tmp / "var";
  fs::create_directories(var);
  const bool mounted = ::mount("tmpfs", var.c_str(), "tmpfs", 0, "size=64m") == 0;
  if (!mounted) WARN("cannot mount a tmpfs here (" << std::strerror(errno) << "): the floor is set above the free space instead");
  // On the 64 MB tmpfs a 48 MB floor leaves room to start and then to fill; elsewhere the floor is the
  // disk's free space plus 1 GB.
  const auto free_mb = static_cast<int64_t>(fs::space(var).available >> 20);
  const std::string floor = mounted ? "48" : std::to_string(free_mb + 1024);
  {
    test::ServedDaemon d({{"jobs.workers", "0"}, {"data.min_free_mb", floor}}, var);
    auto c = client(d.port());
    if (mounted) {
      CHECK(c.Get("/readyz")->status == 200);
      std::ofstream(var / "filler", std::ios::binary) << std::string(30 << 20, 'f'); // the disk fills up
    }
    auto ready = c.Get("/readyz");
    INFO(ready->body);
    CHECK(ready->status == 503);
    CHECK(nlohmann::json::parse(ready->body)["checks"]["disk"].get<std::string>().find("data.min_free_mb") != std::string::npos);
    auto up = c.Post("/api/v1/submissions", httplib::MultipartFormDataItems{{"file", std::string(4096, 'v'), "x.mp4", "video/mp4"},
                                                                            {"label", "real", "", ""}});
    CHECK(up->status == 507);
    CHECK(c.Get("/healthz")->status == 200);
  }
  if (mounted) ::umount(var.c_str());
}

namespace {

// A 4 KB-class GIF declaring a 7680 x 7680 screen and `frames` one-pixel updates: what a bomb looks like.
std::string gif_bomb(int frames) {
  std::string g = "GIF89a";
  auto u16 = [&](int v) { g += static_cast<char>(v & 0xff), g += static_cast<char>(v >> 8); };
  u16(7680), u16(7680);
  g += static_cast<char>(0x80), g += '\0', g += '\0'; // a global colour table of 2 entries
  g += std::string("\0\0\0\xff\xff\xff", 6);
  for (int f = 0; f < frames; ++f) {
    g += std::string("\x21\xf9\x04\x00\x0a\x00\x00\x00", 8); // 0.1 s a frame
    g += '\x2c', u16(f % 64), u16(0), u16(1), u16(1), g += '\0';
    g += std::string("\x02\x02\x44\x01\x00", 5); // LZW: clear, index 0, end
  }
  g += '\x3b';
  return g;
}

} // namespace

TEST_CASE("decompression bombs are refused from their header; a flood of form fields answers 413", "[reliability]") {
  test::TempDir tmp("curator-bombs");
  test::ServedDaemon d({{"jobs.workers", "1"}, {"jobs.poll_interval_ms", "50"}, {"ingest.sample_frames", "8"}}, tmp / "var");
  auto c = client(d.port());
  const long before = d.rss_kb();
  REQUIRE(before > 0);
  // A small H.264 stream declaring 7680 x 7680 (one black frame).
  test::ffmpeg({"-f", "lavfi", "-i", "color=c=black:s=7680x7680:r=5", "-frames:v", "1", "-c:v", "libx264", "-preset",
                "ultrafast", "-pix_fmt", "yuv420p", (tmp / "bomb.mp4").string()},
               tmp.path());
  std::ifstream in(tmp / "bomb.mp4", std::ios::binary);
  const std::string h264((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& [name, bytes] : {std::pair{std::string("bomb.gif"), gif_bomb(200)}, std::pair{std::string("bomb.mp4"), h264}}) {
    const auto t0 = std::chrono::steady_clock::now();
    auto up = c.Post("/api/v1/submissions", httplib::MultipartFormDataItems{{"file", bytes, name, "video/mp4"},
                                                                            {"label", "real", "", ""}});
    REQUIRE(up);
    REQUIRE(up->status == 202);
    const auto done = final_state(c, nlohmann::json::parse(up->body), 30s);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    INFO(name << " (" << bytes.size() << " bytes): " << done.dump() << " in " << seconds << " s");
    CHECK(done["state"] == "rejected");
    CHECK_THAT(done.value("reason", ""), Catch::Contains("megapixels"));
    CHECK(seconds < 10);
  }
  { // 100 MB of distinct small form fields: 413 once they pass 64 KB, and the rest is never read.
    test::RawClient raw(d.port());
    REQUIRE(raw.send("POST /api/v1/submissions HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                     "boundary=XyZ\r\nContent-Length: 104857600\r\n\r\n"));
    int sent = 0;
    std::string block;
    for (int i = 0; i < 100; ++i)
      block += "--XyZ\r\nContent-Disposition: form-data; name=\"f" + std::to_string(i) + "-" + "\"\r\n\r\n" +
               std::string(1000, 'v') + "\r\n";
    while (sent < 1000 && raw.send(block)) ++sent;
    const auto answer = raw.read_all(3s);
    INFO("blocks of ~100 KB sent: " << sent << "; answer: " << answer.substr(0, 200));
    CHECK(answer.find("HTTP/1.1 413") == 0);
    CHECK(sent < 1000);
  }
  const long after = d.rss_kb();
  INFO("daemon RSS " << before << " KB -> " << after << " KB");
  CHECK(after - before < 500 * 1024);
  CHECK(c.Get("/readyz")->status == 200);
}
