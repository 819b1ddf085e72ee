// curator experiment cross-source on a tiny snapshot (two sources from the eyecantell pairs, seconds per
// cell): the full matrix, a SIGKILL mid-experiment, and a resume that redoes no finished run.
#include "retrain/experiment.hpp"
#include "tests/support/ingest_env.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_data.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <map>

using namespace curator;
using namespace std::chrono_literals;

TEST_CASE("experiment cross-source: a full matrix, killed mid-way and resumed without redoing runs", "[synth]") {
  CURATOR_SHARED_DATA(shared);
  const auto data = shared / "deepfake/eyecantell";
  test::IngestEnv env(std::vector<std::pair<std::string, std::string>>{{"ingest.sample_frames", "6"}});
  // Two sources of three people each, real and fake.
  for (const char* name : {"Bateman", "Clinton", "Obama", "Putin", "Reagan", "Taxi"})
    for (const char* kind : {"Real", "Fake"}) {
      ingest::SubmissionMeta meta;
      meta.label = std::string(kind) == "Real" ? ingest::Label::real : ingest::Label::fake;
      meta.source = std::string("BCO").find(name[0]) != std::string::npos ? "left" : "right";
      meta.trusted = true;
      meta.confirmed_by = "test";
      REQUIRE(env.ingest_file(data / (std::string(kind) + name + ".mp4"), meta).state == ingest::SubmissionState::done);
    }
  const std::string bin = test::required_env_path("CURATOR_BIN").string();
  const std::vector<std::string> argv = {
      bin, "experiment", "cross-source", "--id", "e1", "--sources", "left,right", "--seeds", "2", "--json",
      "--params", R"({"backbone": "resnet18", "image_size": 64, "batch": 8, "steps_per_epoch": 2, "epochs": 1, "bootstrap": 50})",
      "--data-dir", env.services.dir.root().string(), "--set", "log.level=warn", "--set", "torch.threads=1"};
  // Killed as soon as its first run is recorded as done.
  {
    test::Process p(argv, {}, env.dir / "first");
    REQUIRE(test::eventually(
        [&] {
          for (const auto& r : retrain::experiment_runs(*env.services.db, "e1"))
            if (r.state == "done") return true;
          return false;
        },
        10min));
    p.signal(SIGKILL);
    REQUIRE(p.wait(30s));
  }
  std::map<std::string, int64_t> finished_before;
  for (const auto& r : retrain::experiment_runs(*env.services.db, "e1"))
    if (r.state == "done") finished_before[r.id] = r.finished_ms;
  REQUIRE(!finished_before.empty());
  CHECK(finished_before.size() < 6);
  CHECK(retrain::ExperimentStore(*env.services.db).get("e1")->state == "running");

  test::Process again(argv, {}, env.dir / "again");
  const auto code = again.wait(15min);
  REQUIRE(code.has_value());
  INFO(again.stderr_text());
  REQUIRE(*code == 0);
  const auto record = nlohmann::json::parse(again.stdout_text());
  CHECK(record["state"] == "done");
  // Every run once: three cells (left, right, all) times two seeds; the finished ones untouched.
  const auto runs = retrain::experiment_runs(*env.services.db, "e1");
  CHECK(runs.size() == 6);
  for (const auto& r : runs) {
    CHECK(r.state == "done");
    if (finished_before.count(r.id)) CHECK(r.finished_ms == finished_before.at(r.id));
  }
  // The matrix: rows left, right, all; columns left, right; two runs a cell.
  const auto& m = record["result"];
  CHECK(m["rows"] == nlohmann::json::array({"left", "right", "all"}));
  CHECK(m["columns"] == nlohmann::json::array({"left", "right"}));
  for (const char* row : {"left", "right", "all"})
    for (const char* column : {"left", "right"}) {
      INFO(row << " x " << column << ": " << m["cells"][row][column].dump());
      CHECK(m["cells"][row][column]["runs"] == 2);
      const auto& video = m["cells"][row][column]["video"];
      if (!video.is_null()) { // null only where that source's test split lacks a class
        CHECK(video["low"].get<double>() <= video["auc"].get<double>());
        CHECK(video["auc"].get<double>() <= video["high"].get<double>());
      }
    }
  // The same command again changes nothing; other options for the same id are refused.
  auto changed = argv;
  changed[8] = "3";
  const auto refused = test::run(changed, {}, env.dir.path());
  CHECK(refused.exit_code != 0);
  CHECK(refused.err.find("other options") != std::string::npos);
  const auto shown = test::run({bin, "experiment", "show", "e1", "--data-dir", env.services.dir.root().string()}, {},
                               env.dir.path());
  CHECK(shown.exit_code == 0);
  CHECK(shown.out.find("rows: trained on") != std::string::npos);

  // A random search per cell instead of seeds: K runs per cell, the cell's training source fixed, the other
  // parameters drawn from the seed study's space.
  const auto searched = test::run({bin, "experiment", "cross-source", "--id", "s1", "--sources", "left,right", "--search",
                                   "2", "--max-epochs", "1", "--json", "--params",
                                   R"({"backbone": "resnet18", "image_size": 64, "steps_per_epoch": 2, "bootstrap": 50})", "--data-dir",
                                   env.services.dir.root().string(), "--set", "log.level=warn", "--set", "torch.threads=1"},
                                  {}, env.dir.path());
  INFO(searched.err);
  REQUIRE(searched.exit_code == 0);
  const auto search_runs = retrain::experiment_runs(*env.services.db, "s1");
  REQUIRE(search_runs.size() == 6);
  std::map<std::string, std::vector<nlohmann::json>> by_cell;
  for (const auto& r : search_runs) {
    CHECK(r.state == "done");
    auto p = r.params.to_json();
    by_cell[r.params.train_source].push_back(p);
  }
  CHECK(by_cell.size() == 3);
  for (const auto& [cell, params] : by_cell) {
    INFO(cell);
    REQUIRE(params.size() == 2);
    CHECK(params[0] != params[1]); // sampled, not the base parameters twice
  }
  CHECK(nlohmann::json::parse(searched.out)["result"]["cells"]["all"]["left"]["runs"] == 2);
}
