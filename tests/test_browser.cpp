// Browser tests: the real daemon (curator serve, with ingest and face models) and real headless Chromium
// driven by tests/browser/web.test.js (npm playwright-core, installed by ops/setup.sh). A contributor
// uploads a real clip and watches its faces appear; anonymous requests to review routes are refused;
// a reviewer signs in and confirms the clip, which then enters a dataset snapshot.
#include "core/clock.hpp"
#include "core/data_dir.hpp"
#include "core/database.hpp"
#include "core/migrations.hpp"
#include "labeling/accounts.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <regex>

using namespace curator;
using namespace std::chrono_literals;

TEST_CASE("contributor, anonymous visitor and reviewer in headless Chromium", "[browser]") {
  CURATOR_SHARED_DATA(data);
  const auto source = test::required_env_path("CURATOR_SOURCE_DIR");
  const auto script = source / "tests/browser/web.test.js";
  INFO("the browser tests need Debian's chromium and tests/browser/node_modules: run ops/setup.sh");
  REQUIRE(std::filesystem::exists("/usr/bin/chromium"));
  REQUIRE(std::filesystem::exists(source / "tests/browser/node_modules/playwright-core"));

  test::TempDir dir;
  const core::DataDir layout(dir / "var");
  layout.create();
  {
    core::Database db(layout.database(), 5000);
    auto conn = db.connect();
    core::migrate(*conn);
    core::SystemClock clock;
    labeling::Accounts(db, clock, labeling::PasswordCost::minimum())
        .add_user("test", "rita", labeling::Role::reviewer, "rita-browser-password");
  }
  test::Process daemon({test::required_env_path("CURATOR_BIN").string(), "serve", "--data-dir", layout.root().string(),
                        "--port", "0", "--set", "jobs.workers=1", "--set", "jobs.poll_interval_ms=100", "--set",
                        "faces.models_dir=" + test::required_env_path("CURATOR_MODELS_DIR").string()},
                       {}, dir / "daemon");
  REQUIRE(test::eventually([&] { return std::filesystem::exists(layout.daemon_file()); }, 30s));
  const int port = nlohmann::json::parse(test::read_file(layout.daemon_file()))["port"];

  test::Process node({"/usr/bin/node", script.string()},
                     {{"CURATOR_URL", "http://127.0.0.1:" + std::to_string(port)},
                      {"CURATOR_CLIP", (data / "video/retalking/3.mp4").string()},
                      {"CURATOR_USER", "rita"},
                      {"CURATOR_PASSWORD", "rita-browser-password"},
                      {"NODE_PATH", (source / "tests/browser/node_modules").string()}},
                     dir / "browser");
  const auto code = node.wait(400s);
  INFO("browser stdout:\n" << node.stdout_text() << "\nbrowser stderr:\n" << node.stderr_text());
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  WARN(node.stdout_text());

  // Confirmed by the reviewer: the clip's faces enter the next snapshot (the CLI works beside the daemon).
  std::smatch m;
  const std::string out = node.stdout_text();
  REQUIRE(std::regex_search(out, m, std::regex("SUBMISSION (\\d+)")));
  const auto snap = test::run({test::required_env_path("CURATOR_BIN").string(), "dataset", "snapshot", "--data-dir",
                               layout.root().string()},
                              {}, dir.path());
  INFO(snap.err);
  REQUIRE(snap.exit_code == 0);
  const auto manifest = nlohmann::json::parse(snap.out)["manifest"].get<std::string>();
  const std::string lines = test::read_file(manifest);
  CHECK_THAT(lines, Catch::Contains("\"video\":" + m[1].str()) && Catch::Contains("\"label\":\"real\""));
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(30s).value_or(-1) == 0);
}
