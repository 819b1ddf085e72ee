// The experiment dashboard: its JSON API over real HTTP (the daemon in-process on port 0), and its pages in
// headless Chromium (tests/browser/dashboard.test.js against `curator serve`), on recorded-run fixtures.
#include "core/config.hpp"
#include "core/settings.hpp"
#include "labeling/accounts.hpp"
#include "retrain/experiment.hpp"
#include "serve/daemon.hpp"
#include "tests/support/dataset_fixture.hpp"
#include "tests/support/process.hpp"
#include "tests/support/run_fixture.hpp"
#include "tests/support/test_data.hpp"

#include <catch2/catch.hpp>
#include <httplib.h>

#include <regex>

using namespace curator;
using namespace std::chrono_literals;

namespace {

// Test videos of two sources, real and fake, each confirmed except `pending` fakes of "wild".
std::vector<test::FixtureVideo> test_videos(test::DatasetFixture& fx, int per_cell, int pending = 0) {
  std::vector<test::FixtureVideo> out;
  int person = 0;
  for (const char* source : {"lab", "wild"})
    for (const char* label : {"real", "fake"})
      for (int i = 0; i < per_cell; ++i) {
        test::FakeVideo v;
        v.key = std::string(source) + "-" + label + "-" + std::to_string(i);
        v.source = source, v.label = label, v.tracks = {fx.face_of(person++)};
        v.confirmed = !(std::string(source) == "wild" && std::string(label) == "fake" && i < pending);
        out.push_back({fx.add(v), source, label, 2});
      }
  return out;
}

void add_experiment(core::Database& db, const std::string& id) {
  retrain::ExperimentRecord e;
  e.id = id, e.kind = "cross-source", e.snapshot_id = "f1x7u4e0000000000000000000000000";
  e.options = {{"sources", {"lab", "wild"}}, {"seeds", 1}};
  e.created_ms = 1'790'000'000'000;
  retrain::ExperimentStore(db).create(e);
}

struct Dashboard {
  test::DatasetFixture fx;
  std::unique_ptr<core::Config> config;
  std::unique_ptr<serve::Daemon> daemon;
  std::unique_ptr<httplib::Client> client;
  std::string session;

  Dashboard() {
    config = std::make_unique<core::Config>(core::Config::defaults(
        core::default_settings(), {{"data.dir", fx.dir.root().string()}, {"server.port", "0"}, {"jobs.workers", "0"}}));
    daemon = std::make_unique<serve::Daemon>(*config);
    daemon->start();
    client = std::make_unique<httplib::Client>("127.0.0.1", daemon->port());
    labeling::Accounts(daemon->database(), fx.clock, labeling::PasswordCost::minimum())
        .add_user("test", "rita", labeling::Role::reviewer, "rita-password");
    auto res = client->Post("/api/v1/session", R"({"username":"rita","password":"rita-password"})", "application/json");
    REQUIRE(res->status == 200);
    const std::string set = res->get_header_value("Set-Cookie");
    session = set.substr(0, set.find(';'));
  }
  ~Dashboard() { daemon->stop("test"); }

  nlohmann::json get_json(const std::string& path) {
    auto res = client->Get(path.c_str(), {{"Cookie", session}});
    INFO(path << ": " << res->status << " " << res->body);
    REQUIRE(res->status == 200);
    return nlohmann::json::parse(res->body);
  }
};

double mean_video_auc(const std::vector<retrain::RunRecord>& runs, const std::string& train, const std::string& test) {
  double sum = 0;
  int n = 0;
  for (const auto& r : runs)
    if (r.params.train_source == train) sum += r.metrics["test"][test]["videos_mean"]["auc"]["value"].get<double>(), ++n;
  REQUIRE(n > 0);
  return sum / n;
}

} // namespace

TEST_CASE("the runs API lists, filters and details runs; experiments give their matrix; review stays blind", "[dashboard]") {
  Dashboard d;
  const auto videos = test_videos(d.fx, 3, /*pending=*/3);
  test::RunFixtureOptions o;
  o.id_prefix = "x1", o.experiment_id = "x1", o.sources = {"lab", "wild"}, o.count = 12;
  const auto runs = test::add_runs(d.fx.db, videos, o);
  add_experiment(d.fx.db, "x1");
  test::RunFixtureOptions loose;
  loose.id_prefix = "adhoc", loose.sources = {"lab", "wild"}, loose.count = 3, loose.seed = 5;
  test::add_runs(d.fx.db, videos, loose);

  SECTION("staff only: the API answers 401 and the pages send anonymous visitors to sign in") {
    for (const char* path : {"/api/v1/runs", "/api/v1/runs/x1-0", "/api/v1/experiments", "/api/v1/experiments/x1",
                             "/media/faces/1/0/0"})
      CHECK(d.client->Get(path)->status == 401);
    for (const char* path : {"/runs", "/runs/x1-0", "/experiments/x1", "/dataset"}) {
      auto res = d.client->Get(path);
      CHECK(res->status == 303);
      CHECK(res->get_header_value("Location") == std::string("/login?next=") + path);
    }
  }

  SECTION("every run with its parameters, curves and metrics; filters narrow the list") {
    const auto all = d.get_json("/api/v1/runs")["runs"];
    REQUIRE(all.size() == 15);
    for (const auto& r : all) {
      for (const char* field : {"id", "state", "params", "curves", "metrics"}) CHECK(r.contains(field));
      CHECK(r["curves"].size() == r["params"]["epochs"].get<size_t>());
      CHECK_FALSE(r["metrics"]["test"]["lab"].contains("worst")); // lists never carry per-face scores
    }
    CHECK(d.get_json("/api/v1/runs?experiment=x1")["runs"].size() == 12);
    const auto lab = d.get_json("/api/v1/runs?experiment=x1&source=lab")["runs"];
    REQUIRE(lab.size() == 4);
    for (const auto& r : lab) CHECK(r["params"]["train_source"] == "lab");
    CHECK(d.get_json("/api/v1/runs?q=adhoc")["runs"].size() == 3);
    CHECK(d.get_json("/api/v1/runs?state=failed")["runs"].empty());
    const auto summary = d.get_json("/api/v1/runs?detail=summary")["runs"];
    CHECK_FALSE(summary[0].contains("curves"));
    CHECK_FALSE(summary[0]["metrics"]["test"]["lab"]["frames"].contains("roc"));
    CHECK(summary[0]["metrics"]["test"]["lab"]["frames"]["auc"]["value"].is_number());
  }

  SECTION("one run: ROC points, confusion counts, and worst faces only of videos whose review is closed") {
    int worst_shown = 0;
    for (const auto& r : runs) {
      const auto j = d.get_json("/api/v1/runs/" + r.id);
      CHECK(j["metrics"]["test"]["lab"]["videos_confident"]["roc"].size() >= 2);
      const auto& c = j["metrics"]["test"]["wild"]["frames"]["confusion"];
      CHECK(c["tp"].get<int>() + c["fn"].get<int>() + c["fp"].get<int>() + c["tn"].get<int>() == 6 * 2); // 3 real + 3 fake wild videos, 2 faces each
      const auto recorded = r.metrics["test"]["wild"]["worst"];
      for (const auto& w : j["metrics"]["test"]["wild"]["worst"]) {
        ++worst_shown;
        const auto video = w["video"].get<int64_t>();
        // The first three wild fakes are pending review: a score of theirs is never shown.
        CHECK(video != videos[9].video);
        CHECK(video != videos[10].video);
        CHECK(video != videos[11].video);
        auto img = d.client->Get(w["image_url"].get<std::string>().c_str(), {{"Cookie", d.session}});
        CHECK(img->status == 200);
        CHECK(img->get_header_value("Content-Type") == "image/jpeg");
      }
      // What was hidden was recorded: the filter, not the fixture, keeps them out.
      int pending_recorded = 0;
      for (const auto& w : recorded)
        if (w["video"] == videos[9].video || w["video"] == videos[10].video || w["video"] == videos[11].video)
          ++pending_recorded;
      CHECK(j["metrics"]["test"]["wild"]["worst"].size() == recorded.size() - pending_recorded);
    }
    CHECK(worst_shown > 0);
    CHECK(d.client->Get("/api/v1/runs/no-such-run", {{"Cookie", d.session}})->status == 404);
    // The run page's confusion table names the split units behind each interval: every fixture video is its
    // own unit, 3 real and 3 fake wild videos.
    const auto page = d.client->Get("/runs/x1-0", {{"Cookie", d.session}});
    REQUIRE(page->status == 200);
    CHECK_THAT(page->body, Catch::Contains("Split units (with reals / with fakes)"));
    CHECK_THAT(page->body, Catch::Contains("<td>wild</td><td>videos</td>"));
    const auto wild_videos = page->body.find("<td>wild</td><td>videos</td>");
    CHECK(page->body.substr(wild_videos, page->body.find("</tr>", wild_videos) - wild_videos).find("<td>3 / 3</td>") !=
          std::string::npos);
  }

  SECTION("an experiment's matrix is the mean of its runs per cell; any group of runs can be shown so") {
    const auto e = d.get_json("/api/v1/experiments/x1");
    CHECK(e["matrix"]["rows"] == nlohmann::json({"lab", "wild", "all"}));
    CHECK(e["matrix"]["columns"] == nlohmann::json({"lab", "wild"}));
    CHECK(e["runs"].size() == 12);
    for (const char* train : {"lab", "wild", "all"})
      for (const char* test : {"lab", "wild"}) {
        const auto& cell = e["matrix"]["cells"][train][test];
        CHECK(cell["runs"] == 4);
        CHECK(cell["video"]["auc"].get<double>() == Approx(mean_video_auc(runs, train, test)));
      }
    const auto group = d.get_json("/api/v1/experiments/adhoc");
    CHECK(group["kind"] == "search");
    CHECK(group["runs"].size() == 3);
    CHECK(d.get_json("/api/v1/experiments")["experiments"].size() == 1);
    CHECK(d.client->Get("/api/v1/experiments/nothing", {{"Cookie", d.session}})->status == 404);
  }

  SECTION("pages carry no inline script and a CSP that forbids it; their scripts are served") {
    for (const std::string path : {"/runs", "/runs/x1-0", "/experiments/x1", "/dataset", "/models", "/"}) {
      auto res = d.client->Get(path.c_str(), {{"Cookie", d.session}});
      INFO(path);
      REQUIRE(res->status == 200);
      const std::string csp = res->get_header_value("Content-Security-Policy");
      CHECK_THAT(csp, Catch::Contains("script-src 'self';"));
      const std::regex inline_script("<script(?![^>]*\\ssrc=)[^>]*>");
      CHECK_FALSE(std::regex_search(res->body, inline_script));
      std::smatch m;
      std::string body = res->body;
      while (std::regex_search(body, m, std::regex("<script src=\"(/static/[^\"]+)\""))) {
        if (m[1] != "/static/echarts.min.js") { // installed by ops/setup.sh, not part of this data folder's daemon
          auto js = d.client->Get(m[1].str().c_str());
          CHECK(js->status == 200);
          CHECK(js->get_header_value("Content-Type") == "text/javascript; charset=utf-8");
        }
        body = m.suffix();
      }
    }
    CHECK(d.client->Get("/static/nothing.js")->status == 404);
    // The table has one row per run, and the filters narrow it.
    auto page = d.client->Get("/runs?experiment=x1&source=wild", {{"Cookie", d.session}});
    const std::regex row("<tr data-run=\"");
    CHECK(std::distance(std::sregex_iterator(page->body.begin(), page->body.end(), row), std::sregex_iterator()) == 4);
  }
}

TEST_CASE("dashboard pages in headless Chromium: parallel coordinates, brushing, curves, ROC, matrix, 1000 runs", "[dashboard]") {
  const auto source = test::required_env_path("CURATOR_SOURCE_DIR");
  const auto charts = source / "vendor/echarts/echarts.min.js";
  INFO("the browser tests need Debian's chromium, tests/browser/node_modules and vendor/echarts: run ops/setup.sh");
  REQUIRE(std::filesystem::exists("/usr/bin/chromium"));
  REQUIRE(std::filesystem::exists(source / "tests/browser/node_modules/playwright-core"));
  REQUIRE(std::filesystem::exists(charts));

  test::DatasetFixture fx;
  const auto videos = test_videos(fx, 4);
  test::RunFixtureOptions o;
  o.id_prefix = "x1", o.experiment_id = "x1", o.sources = {"lab", "wild"}, o.count = 60;
  test::add_runs(fx.db, videos, o);
  add_experiment(fx.db, "x1");
  test::RunFixtureOptions big;
  big.id_prefix = "search7", big.sources = {"lab", "wild"}, big.count = 940, big.seed = 7, big.bootstrap = 20;
  test::add_runs(fx.db, videos, big);
  labeling::Accounts(fx.db, fx.clock, labeling::PasswordCost::minimum())
      .add_user("test", "rita", labeling::Role::reviewer, "rita-browser-password");

  const auto artifacts = test::required_env_path("CURATOR_ARTIFACTS_DIR") / "dashboard";
  std::filesystem::create_directories(artifacts);
  test::Process daemon({test::required_env_path("CURATOR_BIN").string(), "serve", "--data-dir", fx.dir.root().string(),
                        "--port", "0", "--set", "jobs.workers=0", "--set", "scheduler.enabled=false", "--set",
                        "web.charts_file=" + charts.string()},
                       {}, fx.tmp.path() / "daemon");
  REQUIRE(test::eventually([&] { return std::filesystem::exists(fx.dir.daemon_file()); }, 30s));
  const int port = nlohmann::json::parse(test::read_file(fx.dir.daemon_file()))["port"];

  test::Process node({"/usr/bin/node", (source / "tests/browser/dashboard.test.js").string()},
                     {{"CURATOR_URL", "http://127.0.0.1:" + std::to_string(port)},
                      {"CURATOR_USER", "rita"},
                      {"CURATOR_PASSWORD", "rita-browser-password"},
                      {"CURATOR_SCREENSHOTS", artifacts.string()},
                      {"NODE_PATH", (source / "tests/browser/node_modules").string()}},
                     fx.tmp.path() / "browser");
  const auto code = node.wait(300s);
  INFO("browser stdout:\n" << node.stdout_text() << "\nbrowser stderr:\n" << node.stderr_text());
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  WARN(node.stdout_text());
  for (const char* shot : {"runs.png", "run.png", "experiment.png", "models.png", "dataset.png"})
    CHECK(std::filesystem::file_size(artifacts / shot) > 10'000);
}
