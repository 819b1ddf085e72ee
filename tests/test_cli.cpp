// The curator executable as operators and scripts use it.
#include "core/data_dir.hpp"
#include "core/database.hpp"
#include "core/migrations.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <sstream>

using namespace curator;
using namespace std::chrono_literals;

namespace {

std::string bin() { return test::required_env_path("CURATOR_BIN").string(); }

test::RunResult run_curator(std::vector<std::string> args, const test::TempDir& dir,
                        std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), bin());
  return test::run(args, env, dir.path());
}

nlohmann::json read_json(const std::filesystem::path& p) { return nlohmann::json::parse(test::read_file(p)); }

} // namespace

TEST_CASE("--help explains every subcommand", "[cli]") {
  test::TempDir dir;
  auto top = run_curator({"--help"}, dir);
  CHECK(top.exit_code == 0);
  for (const char* sub : {"serve", "status", "migrate", "config", "jobs"}) {
    CHECK_THAT(top.out, Catch::Contains(sub));
    auto help = run_curator({sub, "--help"}, dir);
    INFO(sub);
    CHECK(help.exit_code == 0);
  }
  CHECK_THAT(run_curator({"serve", "--help"}, dir).out,
             Catch::Contains("--data-dir") && Catch::Contains("--host") && Catch::Contains("--port"));
  CHECK(run_curator({"no-such-command"}, dir).exit_code != 0);
}

TEST_CASE("curator config shows values with origins and rejects bad ones", "[cli]") {
  test::TempDir dir;
  std::ofstream(dir / "c.toml") << "[jobs]\nworkers = 3\n";
  auto r = run_curator({"config", "--json", "--config", (dir / "c.toml").string(), "--port", "9001"}, dir,
                   {{"CURATOR_HOST", "127.0.0.2"}});
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["server.port"]["value"] == "9001");
  CHECK(j["server.port"]["origin"] == "flag --port");
  CHECK(j["server.host"]["origin"] == "env CURATOR_HOST");
  CHECK(j["jobs.workers"]["value"] == "3");
  CHECK_THAT(j["jobs.workers"]["origin"].get<std::string>(), Catch::StartsWith("file "));
  CHECK(j["log.level"]["origin"] == "default");

  auto get = run_curator({"config", "--get", "data.dir", "--data-dir", "/srv/curator"}, dir);
  CHECK(get.out == "/srv/curator\n");

  auto bad = run_curator({"config", "--port", "70000"}, dir);
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("server.port") && Catch::Contains("[0, 65535]"));

  auto bad_env = run_curator({"status"}, dir, {{"CURATOR_JOBS_WORKERS", "lots"}});
  CHECK(bad_env.exit_code == 2);
  CHECK_THAT(bad_env.err, Catch::Contains("jobs.workers") && Catch::Contains("env CURATOR_JOBS_WORKERS"));

  auto bad_set = run_curator({"config", "--set", "nonsense"}, dir);
  CHECK(bad_set.exit_code == 2);

  auto describe = run_curator({"config", "--describe"}, dir);
  CHECK_THAT(describe.out, Catch::Contains("torch.threads") && Catch::Contains("CURATOR_TORCH_THREADS"));
}

TEST_CASE("migrate and status --json on a data folder", "[cli]") {
  test::TempDir dir;
  const auto data = (dir / "var").string();
  auto before = run_curator({"status", "--json", "--data-dir", data}, dir);
  REQUIRE(before.exit_code == 0);
  CHECK(nlohmann::json::parse(before.out)["database"]["exists"] == false);
  CHECK_FALSE(std::filesystem::exists(dir / "var" / "curator.db")); // status changes nothing

  auto m = run_curator({"migrate", "--json"}, dir, {{"CURATOR_DATA_DIR", data}});
  REQUIRE(m.exit_code == 0);
  CHECK(nlohmann::json::parse(m.out)["applied"].size() == core::schema_migrations().size());
  CHECK(nlohmann::json::parse(run_curator({"migrate", "--json", "--data-dir", data}, dir).out)["applied"].empty());

  auto after = nlohmann::json::parse(run_curator({"status", "--json", "--data-dir", data}, dir).out);
  CHECK(after["database"]["up_to_date"] == true);
  CHECK(after["daemon"]["running"] == false);
  CHECK(after["database"]["jobs"]["total"]["queued"] == 0);
  CHECK(run_curator({"jobs", "list", "--data-dir", data}, dir).exit_code == 0);
  CHECK(run_curator({"jobs", "retry", "12", "--data-dir", data}, dir).exit_code == 1);

  {
    core::Database db(dir / "var" / "curator.db", 1000);
    auto conn = db.connect();
    conn->exec("INSERT INTO schema_migrations(version, name, applied_ms) VALUES (99, 'future', 0)");
  }
  auto refused = run_curator({"migrate", "--data-dir", data}, dir);
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("version 99") && Catch::Contains("newer"));
  auto serve_refused = run_curator({"serve", "--data-dir", data, "--port", "0"}, dir);
  CHECK(serve_refused.exit_code == 1);
  CHECK_THAT(serve_refused.err, Catch::Contains("version 99"));
}

TEST_CASE("serve starts, answers, survives SIGKILL and stops cleanly on SIGINT", "[cli]") {
  test::TempDir dir;
  const auto data = dir / "var";
  core::DataDir layout(data);
  auto start = [&](const std::string& name) {
    return std::make_unique<test::Process>(
        std::vector<std::string>{bin(), "serve", "--data-dir", data.string(), "--port", "0"},
        std::map<std::string, std::string>{}, dir / name);
  };
  auto wait_for_daemon = [&](test::Process& p) {
    return test::eventually([&] {
      if (!std::filesystem::exists(layout.daemon_file())) return false;
      auto info = read_json(layout.daemon_file());
      return info["pid"] == p.pid();
    }, 30s);
  };

  auto first = start("first");
  REQUIRE(wait_for_daemon(*first));
  int port = read_json(layout.daemon_file())["port"];
  httplib::Client client("127.0.0.1", port);
  auto health = client.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  auto status = nlohmann::json::parse(run_curator({"status", "--json", "--data-dir", data.string()}, dir).out);
  CHECK(status["daemon"]["running"] == true);
  CHECK(status["daemon"]["healthy"] == true);
  // A second daemon on the same folder is refused.
  auto twin = run_curator({"serve", "--data-dir", data.string(), "--port", "0"}, dir);
  CHECK(twin.exit_code == 1);
  CHECK_THAT(twin.err, Catch::Contains("already running"));

  first->signal(SIGKILL);
  REQUIRE(first->wait(10s) == 128 + SIGKILL);
  status = nlohmann::json::parse(run_curator({"status", "--json", "--data-dir", data.string()}, dir).out);
  CHECK(status["daemon"]["running"] == false); // stale file, dead pid

  auto second = start("second");
  REQUIRE(wait_for_daemon(*second)); // the lock died with the killed process
  second->signal(SIGINT);
  const auto code = second->wait(30s);
  INFO("exit " << (code ? std::to_string(*code) : std::string("none")) << ", stderr:\n" << second->stderr_text());
  REQUIRE(code == 0);
  CHECK_THAT(second->stderr_text(), Catch::Contains("stopped"));
  CHECK_FALSE(std::filesystem::exists(layout.daemon_file()));
  status = nlohmann::json::parse(run_curator({"status", "--json", "--data-dir", data.string()}, dir).out);
  CHECK(status["database"]["last_daemon_run"]["stop_reason"] == "SIGINT");
}

TEST_CASE("log lines can be JSON objects, one a line", "[cli]") {
  test::TempDir dir;
  auto r = run_curator({"migrate", "--data-dir", (dir / "var").string(), "--set", "log.format=json"}, dir);
  REQUIRE(r.exit_code == 0);
  std::istringstream lines(r.err);
  int parsed = 0;
  for (std::string line; std::getline(lines, line);) {
    INFO(line);
    auto j = nlohmann::json::parse(line); // throws, failing the test, on a malformed line
    CHECK(j["component"] == "store");
    CHECK(j["level"] == "info");
    CHECK_THAT(j["msg"].get<std::string>(), Catch::StartsWith("applied migration"));
    ++parsed;
  }
  CHECK(parsed == static_cast<int>(core::schema_migrations().size()));
  auto quiet = run_curator({"migrate", "--data-dir", (dir / "var2").string(), "--set", "log.level=warn"}, dir);
  CHECK(quiet.err.empty());
}
