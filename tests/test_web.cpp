// The web rules over real HTTP on loopback (the daemon on port 0): sign-in, cookies, CSRF, roles,
// rate limits, escaping, the review API and video range requests.
#include "core/config.hpp"
#include "core/job_kinds.hpp"
#include "core/settings.hpp"
#include "core/sha256.hpp"
#include "labeling/accounts.hpp"
#include "labeling/review_queue.hpp"
#include "serve/daemon.hpp"
#include "tests/support/dataset_fixture.hpp"

#include <SQLiteCpp/Statement.h>
#include <catch2/catch.hpp>
#include <httplib.h>

#include <regex>

using namespace curator;

namespace {

struct Site {
  test::DatasetFixture fx;
  std::unique_ptr<core::Config> config;
  std::unique_ptr<serve::Daemon> daemon;
  std::unique_ptr<httplib::Client> client;

  using Settings = std::vector<std::pair<std::string, std::string>>;
  explicit Site(Settings extra = Settings()) {
    std::vector<std::pair<std::string, std::string>> settings = {
        {"data.dir", fx.dir.root().string()}, {"server.port", "0"}, {"jobs.workers", "0"}};
    settings.insert(settings.end(), extra.begin(), extra.end());
    config = std::make_unique<core::Config>(core::Config::defaults(core::default_settings(), settings));
    daemon = std::make_unique<serve::Daemon>(*config);
    daemon->start();
    client = std::make_unique<httplib::Client>("127.0.0.1", daemon->port());
    labeling::Accounts accounts(daemon->database(), fx.clock, labeling::PasswordCost::minimum());
    accounts.add_user("test", "rita", labeling::Role::reviewer, "rita-password");
    accounts.add_user("test", "boss", labeling::Role::admin, "boss-password");
  }
  ~Site() { daemon->stop("test"); }

  // The anonymous double-submit token: GET a form page, keep its cookie.
  std::pair<std::string, std::string> anon_csrf(const std::string& path = "/login") {
    auto res = client->Get(path.c_str());
    const std::string set = res->get_header_value("Set-Cookie");
    const std::string token = set.substr(set.find('=') + 1, 64);
    return {token, "curator_csrf=" + token};
  }
  // Uploads `bytes` bytes as a video through the API (not a real video: ingest is not running here).
  httplib::Result upload(size_t bytes, const std::string& label, const httplib::Headers& headers = {}) {
    httplib::MultipartFormDataItems items = {{"file", std::string(bytes, 'v'), "clip.mp4", "video/mp4"},
                                             {"label", label, "", ""}};
    return client->Post("/api/v1/submissions", headers, items);
  }
  // Signs in through the form; returns (session cookie header, session CSRF token).
  std::pair<std::string, std::string> sign_in(const std::string& user, const std::string& password) {
    auto [token, cookie] = anon_csrf();
    auto res = client->Post("/login", {{"Cookie", cookie}},
                            "csrf=" + token + "&username=" + user + "&password=" + password + "&next=%2Freview",
                            "application/x-www-form-urlencoded");
    REQUIRE(res->status == 303);
    const std::string set = res->get_header_value("Set-Cookie");
    const std::string session = set.substr(0, set.find(';'));
    auto who = client->Get("/api/v1/session", {{"Cookie", session}});
    REQUIRE(who->status == 200);
    return {session, nlohmann::json::parse(who->body)["csrf_token"]};
  }
};

} // namespace

TEST_CASE("review routes refuse anyone without a session: 401 for the API, sign-in for pages", "[web]") {
  Site site;
  for (const char* path : {"/api/v1/review/next", "/api/v1/review", "/api/v1/audit", "/media/submissions/1/video"})
    CHECK(site.client->Get(path)->status == 401);
  for (const char* path : {"/review", "/review/1", "/admin", "/admin/audit"}) {
    auto res = site.client->Get(path);
    CHECK(res->status == 303);
    CHECK(res->get_header_value("Location") == std::string("/login?next=") + path);
  }
  CHECK(site.client->Post("/api/v1/review/1/decision", R"({"decision":"real"})", "application/json")->status == 401);
  // A forged cookie is no session either.
  CHECK(site.client->Get("/api/v1/review/next", {{"Cookie", "curator_session=" + std::string(64, 'f')}})->status == 401);
  // Reviewers are not admins.
  auto [session, csrf] = site.sign_in("rita", "rita-password");
  CHECK(site.client->Get("/api/v1/audit", {{"Cookie", session}})->status == 403);
  CHECK(site.client->Get("/admin", {{"Cookie", session}})->status == 403);
  CHECK(site.client->Get("/review", {{"Cookie", session}})->status == 200); // queue empty page
}

TEST_CASE("session cookies are HttpOnly and SameSite=Strict, Secure behind a trusted TLS proxy", "[web]") {
  const char* body = R"({"username":"rita","password":"rita-password"})";
  {
    // X-Forwarded-Proto from a peer that is not a trusted proxy is ignored.
    Site untrusted;
    auto res = untrusted.client->Post("/api/v1/session", {{"X-Forwarded-Proto", "https"}}, body, "application/json");
    REQUIRE(res->status == 200);
    CHECK_THAT(res->get_header_value("Set-Cookie"), !Catch::Contains("Secure"));
  }
  Site site(Site::Settings{{"web.trusted_proxies", "127.0.0.1/32"}});
  auto res = site.client->Post("/api/v1/session", {{"X-Forwarded-Proto", "https"}}, body, "application/json");
  REQUIRE(res->status == 200);
  const std::string set = res->get_header_value("Set-Cookie");
  CHECK_THAT(set, Catch::Contains("HttpOnly") && Catch::Contains("SameSite=Strict") && Catch::Contains("Secure"));
  auto plain = site.client->Post("/api/v1/session", body, "application/json");
  CHECK_THAT(plain->get_header_value("Set-Cookie"), !Catch::Contains("Secure"));
  CHECK(nlohmann::json::parse(plain->body)["user"]["username"] == "rita");
}

TEST_CASE("state-changing requests without the CSRF token are refused", "[web]") {
  Site site;
  const int64_t id = site.fx.add({"clip", "contributor", "real", {site.fx.face_of(1)}, {}, {}, {}, {}, false});
  // Sign-in form without the double-submit token.
  auto res = site.client->Post("/login", "username=rita&password=rita-password", "application/x-www-form-urlencoded");
  CHECK(res->status == 403);
  auto [session, csrf] = site.sign_in("rita", "rita-password");
  const std::string path = "/review/" + std::to_string(id) + "/decide";
  res = site.client->Post(path.c_str(), {{"Cookie", session}}, "decision=real", "application/x-www-form-urlencoded");
  CHECK(res->status == 403);
  res = site.client->Post(path.c_str(), {{"Cookie", session}}, "decision=real&csrf=" + std::string(64, '0'),
                          "application/x-www-form-urlencoded");
  CHECK(res->status == 403);
  const std::string api = "/api/v1/review/" + std::to_string(id) + "/decision";
  CHECK(site.client->Post(api.c_str(), {{"Cookie", session}}, R"({"decision":"real"})", "application/json")->status == 403);
  // With the token it works, and the item is confirmed.
  res = site.client->Post(path.c_str(), {{"Cookie", session}}, "decision=real&csrf=" + csrf,
                          "application/x-www-form-urlencoded");
  CHECK(res->status == 303);
  auto item = nlohmann::json::parse(site.client->Get(("/api/v1/review/" + std::to_string(id)).c_str(), {{"Cookie", session}})->body);
  CHECK(item["state"] == "confirmed");
  CHECK(item["label"] == "real");
  // Sign-out needs it too.
  CHECK(site.client->Post("/logout", {{"Cookie", session}}, "", "application/x-www-form-urlencoded")->status == 403);
  CHECK(site.client->Post("/logout", {{"Cookie", session}}, "csrf=" + csrf, "application/x-www-form-urlencoded")->status == 303);
  CHECK(site.client->Get("/api/v1/session", {{"Cookie", session}})->status == 401);
}

TEST_CASE("sign-in is throttled after repeated failures", "[web]") {
  Site site(Site::Settings{{"web.login_max_failures", "3"}});
  for (int i = 0; i < 3; ++i)
    CHECK(site.client->Post("/api/v1/session", R"({"username":"rita","password":"wrong-guess"})", "application/json")->status == 401);
  // Even the right password waits now.
  CHECK(site.client->Post("/api/v1/session", R"({"username":"rita","password":"rita-password"})", "application/json")->status == 429);
  CHECK(site.client->Post("/api/v1/session", R"({"username":"boss","password":"boss-password"})", "application/json")->status == 200);
}

TEST_CASE("anonymous submissions are rate-limited per address; signed-in ones are the user's", "[web]") {
  Site site(Site::Settings{{"web.anonymous_submissions_per_hour", "2"}});
  auto post = [&](const httplib::Headers& headers) { return site.upload(2048, "real", headers); };
  CHECK(post({})->status == 202);
  CHECK(post({})->status == 202);
  auto third = post({});
  CHECK(third->status == 429);
  CHECK(nlohmann::json::parse(third->body)["error"]["code"] == "rate_limited");
  auto [session, csrf] = site.sign_in("rita", "rita-password");
  CHECK(post({{"Cookie", session}})->status == 403); // a session must send its CSRF token
  auto mine = post({{"Cookie", session}, {"X-CSRF-Token", csrf}});
  REQUIRE(mine->status == 202);
  const int64_t id = nlohmann::json::parse(mine->body)["id"];
  auto conn = site.daemon->database().connect();
  SQLite::Statement q(*conn, "SELECT u.username FROM submissions s JOIN users u ON u.id = s.submitted_by WHERE s.id = ?");
  q.bind(1, id);
  REQUIRE(q.executeStep());
  CHECK(q.getColumn(0).getString() == "rita");
}

TEST_CASE("a submission opens with the key in its address, or to staff; ids cannot be walked", "[web]") {
  Site site;
  auto up = site.upload(4096, "real");
  REQUIRE(up->status == 202);
  const auto receipt = nlohmann::json::parse(up->body);
  const std::string id = std::to_string(receipt["id"].get<int64_t>());
  const std::string key = receipt["access_key"];
  REQUIRE(key.size() == 32);
  CHECK(receipt["page_url"] == "/submissions/" + id + "?key=" + key);
  CHECK(receipt["status_url"] == "/api/v1/submissions/" + id + "?key=" + key);

  for (const std::string& query : {std::string(), std::string("?key=") + std::string(32, '0'), "?key=" + key.substr(0, 31)}) {
    INFO("query " << query);
    CHECK(site.client->Get(("/api/v1/submissions/" + id + query).c_str())->status == 404);
    CHECK(site.client->Get(("/submissions/" + id + query).c_str())->status == 404);
  }
  auto status = site.client->Get(receipt["status_url"].get<std::string>().c_str());
  REQUIRE(status->status == 200);
  CHECK_FALSE(nlohmann::json::parse(status->body).contains("access_key")); // given out once
  auto page = site.client->Get(receipt["page_url"].get<std::string>().c_str());
  REQUIRE(page->status == 200);
  CHECK(page->get_header_value("Referrer-Policy") == "same-origin");
  // The list shows everyone's submissions: staff only.
  CHECK(site.client->Get("/api/v1/submissions")->status == 401);
  auto [session, csrf] = site.sign_in("rita", "rita-password");
  CHECK(site.client->Get(("/api/v1/submissions/" + id).c_str(), {{"Cookie", session}})->status == 200);
  CHECK(site.client->Get(("/submissions/" + id).c_str(), {{"Cookie", session}})->status == 200);
  CHECK(site.client->Get("/api/v1/submissions", {{"Cookie", session}})->status == 200);
  // Only the key's hash is stored.
  auto conn = site.daemon->database().connect();
  SQLite::Statement q(*conn, "SELECT access_key_hash FROM submissions WHERE id = ?");
  q.bind(1, receipt["id"].get<int64_t>());
  REQUIRE(q.executeStep());
  CHECK(q.getColumn(0).getString() == core::sha256_hex(key));
}

TEST_CASE("user text is escaped on every page", "[web]") {
  Site site;
  test::FakeVideo v;
  v.key = "evil";
  v.label = "fake";
  v.confirmed = false;
  const int64_t id = site.fx.add(v);
  {
    auto conn = site.daemon->database().connect();
    SQLite::Statement q(*conn, "UPDATE submissions SET original_name = '<script>alert(1)</script>.mp4', "
                               "contributor = '\"><img src=x onerror=alert(2)>' WHERE id = ?");
    q.bind(1, id);
    q.exec();
  }
  auto [session, csrf] = site.sign_in("boss", "boss-password");
  for (const std::string& path :
       std::vector<std::string>{"/review/" + std::to_string(id), "/submissions/" + std::to_string(id), "/admin/audit"}) {
    auto res = site.client->Get(path.c_str(), {{"Cookie", session}});
    REQUIRE(res->status == 200);
    INFO(path);
    CHECK_THAT(res->body, !Catch::Contains("<script>alert(1)") && !Catch::Contains("<img src=x"));
    CHECK_THAT(res->get_header_value("Content-Type"), Catch::StartsWith("text/html"));
  }
  CHECK_THAT(site.client->Get(("/review/" + std::to_string(id)).c_str(), {{"Cookie", session}})->body,
             Catch::Contains("&lt;script&gt;alert(1)&lt;/script&gt;.mp4"));
  // Friendly pages for errors, JSON for the API.
  auto missing = site.client->Get("/submissions/999999", {{"Cookie", session}});
  CHECK(missing->status == 404);
  CHECK_THAT(missing->body, Catch::Contains("<!doctype html>"));
  CHECK(site.client->Get("/api/v1/submissions/999999")->get_header_value("Content-Type") == "application/json");
}

TEST_CASE("the review API mirrors the pages, and videos are served in ranges", "[web]") {
  Site site;
  auto up = site.upload(10000, "fake");
  REQUIRE(up->status == 202);
  const int64_t id = nlohmann::json::parse(up->body)["id"];
  auto [session, csrf] = site.sign_in("rita", "rita-password");
  const httplib::Headers auth = {{"Cookie", session}, {"X-CSRF-Token", csrf}};
  auto part = site.client->Get(("/media/submissions/" + std::to_string(id) + "/video").c_str(),
                               {{"Cookie", session}, {"Range", "bytes=100-199"}});
  REQUIRE(part->status == 206);
  CHECK(part->body.size() == 100);
  CHECK(part->get_header_value("Content-Range") == "bytes 100-199/10000");
  CHECK(site.client->Get(("/media/submissions/" + std::to_string(id) + "/video").c_str(),
                         {{"Cookie", session}, {"Range", "bytes=20000-"}})->status == 416);

  // Not ingested yet: nothing to review. An item appears once its video is done.
  CHECK(nlohmann::json::parse(site.client->Get("/api/v1/review/next", auth)->body)["item"].is_null());
  const int64_t done = site.fx.add({"done", "contributor", "fake", {site.fx.face_of(2)}, {}, {}, {}, {}, false});
  auto next = nlohmann::json::parse(site.client->Get("/api/v1/review/next", auth)->body)["item"];
  REQUIRE(next["submission_id"] == done);
  CHECK(next["claimed_label"] == "fake");
  auto decided = site.client->Post(("/api/v1/review/" + std::to_string(done) + "/decision").c_str(), auth,
                                   R"({"decision":"reject"})", "application/json");
  CHECK(decided->status == 400); // a reject needs a reason
  decided = site.client->Post(("/api/v1/review/" + std::to_string(done) + "/decision").c_str(), auth,
                              R"({"decision":"reject","reason":"not a face swap"})", "application/json");
  REQUIRE(decided->status == 200);
  CHECK(nlohmann::json::parse(decided->body)["state"] == "rejected");
  // Only admins reopen; the audit log shows who did what.
  CHECK(site.client->Post(("/api/v1/review/" + std::to_string(done) + "/reopen").c_str(), auth, "{}", "application/json")->status == 403);
  auto [boss, boss_csrf] = site.sign_in("boss", "boss-password");
  const httplib::Headers admin = {{"Cookie", boss}, {"X-CSRF-Token", boss_csrf}};
  auto reopened = site.client->Post(("/api/v1/review/" + std::to_string(done) + "/reopen").c_str(), admin,
                                    R"({"reason":"second look"})", "application/json");
  REQUIRE(reopened->status == 200);
  CHECK(nlohmann::json::parse(reopened->body)["state"] == "pending");
  auto log = nlohmann::json::parse(site.client->Get("/api/v1/audit?entity=review", admin)->body)["entries"];
  std::vector<std::string> actions;
  for (const auto& e : log) actions.push_back(e["actor"].get<std::string>() + " " + e["action"].get<std::string>());
  CHECK(actions == std::vector<std::string>{"boss review.reopen", "boss review.state", "rita review.state", "rita review.decide"});
}

TEST_CASE("review is blind: no page or API answer shows a model's score or the champion", "[web]") {
  Site site;
  const int64_t id = site.fx.add({"scored", "contributor", "fake", {site.fx.face_of(4)}, {}, {}, {}, {}, false});
  const int64_t other = site.fx.add({"unscored", "contributor", "real", {site.fx.face_of(5)}, {}, {}, {}, {}, false});
  labeling::ReviewQueue reviews(site.daemon->database(), site.fx.clock, {1, 1});
  reviews.set_model_score(id, 0.8765432); // the champion thinks it fake
  auto [session, csrf] = site.sign_in("rita", "rita-password");
  const httplib::Headers auth = {{"Cookie", session}, {"X-CSRF-Token", csrf}};
  auto no_score = [](const std::string& text) {
    INFO(text);
    CHECK(text.find("0.876") == std::string::npos);
    CHECK(text.find("model_score") == std::string::npos);
    CHECK(text.find("hampion") == std::string::npos); // "Champion", "champion"
    CHECK(text.find("probability") == std::string::npos);
  };
  // The score orders the queue (a claim the champion disagrees with most comes first)...
  const auto next = site.client->Get("/api/v1/review/next", auth);
  REQUIRE(next->status == 200);
  CHECK(nlohmann::json::parse(next->body)["item"]["submission_id"] == id);
  no_score(next->body);
  // ...and appears nowhere a reviewer looks.
  for (const std::string& path : std::vector<std::string>{"/api/v1/review/" + std::to_string(id), "/api/v1/review",
                                 "/api/v1/review/" + std::to_string(other), "/review/" + std::to_string(id),
                                 "/review/" + std::to_string(other)}) {
    const auto res = site.client->Get(path.c_str(), {{"Cookie", session}});
    INFO(path);
    REQUIRE(res->status == 200);
    no_score(res->body);
  }
  // Nor in the jobs API: the champion's score of a review item, and a score request for a video that was
  // also added to the dataset, are results an admin may read and a reviewer may not.
  auto& jobs = site.daemon->jobs();
  for (const auto& kind : {core::jobs::kReviewScore, core::jobs::kScoreVideo}) {
    jobs.enqueue(core::JobSpec::of(kind, {{"submission", id}}));
    const auto job = jobs.lease("test", {kind.name});
    REQUIRE(job);
    REQUIRE(jobs.complete(*job, {{"submission", id}, {"score", 0.8765432}}));
    const auto one = site.client->Get(("/api/v1/jobs/" + std::to_string(job->id)).c_str(), {{"Cookie", session}});
    REQUIRE(one->status == 200);
    no_score(one->body);
    CHECK(nlohmann::json::parse(one->body).contains("result_hidden"));
  }
  const auto list = site.client->Get("/api/v1/jobs", {{"Cookie", session}});
  REQUIRE(list->status == 200);
  no_score(list->body);
  auto [admin_session, admin_csrf] = site.sign_in("boss", "boss-password");
  const auto admin_list = site.client->Get("/api/v1/jobs", {{"Cookie", admin_session}});
  REQUIRE(admin_list->status == 200);
  CHECK(admin_list->body.find("0.876") != std::string::npos); // the same answer with the results
}
