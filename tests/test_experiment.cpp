// curator experiment cross-source on a tiny snapshot (two sources from the eyecantell pairs, seconds per
// cell): a SIGKILL mid-experiment and a resume that redoes no finished run; the matrix it ends with;
// other options refused for the same id; a random search per cell. One ingested data folder is shared
// (built once per process) and each case runs its own experiment id in it.
#include "dataset/snapshot.hpp"
#include "retrain/experiment.hpp"
#include "tests/support/ingest_env.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_data.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <map>
#include <set>

using namespace curator;
using namespace std::chrono_literals;

namespace {

// Two sources of three people each, real and fake, confirmed. Built once per process.
test::IngestEnv& two_sources(const std::filesystem::path& shared) {
  static std::unique_ptr<test::IngestEnv> env;
  if (env) return *env;
  env = std::make_unique<test::IngestEnv>(std::vector<std::pair<std::string, std::string>>{{"ingest.sample_frames", "6"}});
  const auto data = shared / "deepfake/eyecantell";
  for (const char* name : {"Bateman", "Clinton", "Obama", "Putin", "Reagan", "Taxi"})
    for (const char* kind : {"Real", "Fake"}) {
      ingest::SubmissionMeta meta;
      meta.label = std::string(kind) == "Real" ? ingest::Label::real : ingest::Label::fake;
      meta.source = std::string("BCO").find(name[0]) != std::string::npos ? "left" : "right";
      meta.trusted = true;
      meta.confirmed_by = "test";
      REQUIRE(env->ingest_file(data / (std::string(kind) + name + ".mp4"), meta).state == ingest::SubmissionState::done);
    }
  return *env;
}

constexpr const char* kTinyParams =
    R"({"backbone": "resnet18", "image_size": 64, "batch": 8, "steps_per_epoch": 2, "epochs": 1, "bootstrap": 50})";

// `curator experiment cross-source` over left and right with `seeds` seeds under `id`.
std::vector<std::string> cross_source(test::IngestEnv& env, const std::string& id, int seeds) {
  return {test::required_env_path("CURATOR_BIN").string(), "experiment", "cross-source", "--id", id, "--sources",
          "left,right", "--seeds", std::to_string(seeds), "--json", "--params", kTinyParams, "--data-dir",
          env.services.dir.root().string(), "--set", "log.level=warn", "--set", "torch.threads=1"};
}

// The experiment killed as soon as its first run is done, then run again to the end. Runs once per
// process; returns the record and the finish times of the runs done before the kill.
struct Resumed {
  nlohmann::json record;
  std::map<std::string, int64_t> finished_before;
};

const Resumed& killed_and_resumed(test::IngestEnv& env) {
  static std::optional<Resumed> done;
  if (done) return *done;
  Resumed r;
  const auto argv = cross_source(env, "e1", 2);
  {
    test::Process p(argv, {}, env.dir / "first");
    REQUIRE(test::eventually(
        [&] {
          for (const auto& run : retrain::experiment_runs(*env.services.db, "e1"))
            if (run.state == "done") return true;
          return false;
        },
        4min));
    p.signal(SIGKILL);
    REQUIRE(p.wait(30s));
  }
  for (const auto& run : retrain::experiment_runs(*env.services.db, "e1"))
    if (run.state == "done") r.finished_before[run.id] = run.finished_ms;
  REQUIRE(!r.finished_before.empty());
  CHECK(r.finished_before.size() < 6);
  CHECK(retrain::ExperimentStore(*env.services.db).get("e1")->state == "running");
  test::Process again(argv, {}, env.dir / "again");
  const auto code = again.wait(4min);
  REQUIRE(code.has_value());
  INFO(again.stderr_text());
  REQUIRE(*code == 0);
  r.record = nlohmann::json::parse(again.stdout_text());
  done = std::move(r);
  return *done;
}

} // namespace

TEST_CASE("an experiment killed mid-way resumes without redoing its finished runs", "[synth]") {
  CURATOR_SHARED_DATA(shared);
  auto& env = two_sources(shared);
  const auto& resumed = killed_and_resumed(env);
  CHECK(resumed.record["state"] == "done");
  // Every run once: three cells (left, right, all) times two seeds; the finished ones untouched.
  const auto runs = retrain::experiment_runs(*env.services.db, "e1");
  CHECK(runs.size() == 6);
  for (const auto& r : runs) {
    CHECK(r.state == "done");
    if (resumed.finished_before.count(r.id)) CHECK(r.finished_ms == resumed.finished_before.at(r.id));
  }
}

TEST_CASE("the cross-source matrix: a cell per training and test source, null exactly where a class is missing",
          "[synth]") {
  CURATOR_SHARED_DATA(shared);
  auto& env = two_sources(shared);
  const auto& m = killed_and_resumed(env).record["result"];
  CHECK(m["rows"] == nlohmann::json::array({"left", "right", "all"}));
  CHECK(m["columns"] == nlohmann::json::array({"left", "right"}));
  // Which test splits hold both classes, from the experiment's own snapshot.
  const auto record = retrain::ExperimentStore(*env.services.db).get("e1");
  REQUIRE(record);
  const auto snap = dataset::find_snapshot(*env.services.db, env.services.dir, record->snapshot_id);
  std::map<std::string, std::set<std::string>> labels;
  for (const auto& item : dataset::read_manifest(snap.manifest))
    if (item.split == "test") labels[item.source].insert(item.label);
  int measured = 0;
  for (const char* row : {"left", "right", "all"})
    for (const char* column : {"left", "right"}) {
      const auto& cell = m["cells"][row][column];
      INFO(row << " x " << column << ": " << cell.dump());
      CHECK(cell["runs"] == 2);
      const bool both = labels[column].size() == 2;
      const auto& video = cell["video"];
      REQUIRE(video.is_null() == !both);
      if (!both) continue;
      ++measured;
      CHECK(video["runs"] == 2);
      CHECK(video["interval"] == "range over runs"); // two seeds: their spread, never averaged endpoints
      CHECK(video["low"].get<double>() <= video["auc"].get<double>());
      CHECK(video["auc"].get<double>() <= video["high"].get<double>());
      REQUIRE(video["run_intervals"].size() == 2);
      CHECK(video["units"].is_object());
    }
  INFO("test splits: left " << labels["left"].size() << " classes, right " << labels["right"].size());
  CHECK(measured == 3 * ((labels["left"].size() == 2 ? 1 : 0) + (labels["right"].size() == 2 ? 1 : 0)));
  CHECK(measured > 0);
  const auto shown = test::run({test::required_env_path("CURATOR_BIN").string(), "experiment", "show", "e1",
                                "--data-dir", env.services.dir.root().string()},
                               {}, env.dir.path());
  CHECK(shown.exit_code == 0);
  CHECK(shown.out.find("rows: trained on") != std::string::npos);
}

TEST_CASE("an experiment id keeps its options: the same command again is refused with other seeds", "[synth]") {
  CURATOR_SHARED_DATA(shared);
  auto& env = two_sources(shared);
  killed_and_resumed(env);
  const auto refused = test::run(cross_source(env, "e1", 3), {}, env.dir.path());
  CHECK(refused.exit_code != 0);
  CHECK(refused.err.find("other options") != std::string::npos);
  CHECK(retrain::experiment_runs(*env.services.db, "e1").size() == 6); // nothing more trained
}

TEST_CASE("a random search per cell: K sampled runs, each cell's training source fixed", "[synth]") {
  CURATOR_SHARED_DATA(shared);
  auto& env = two_sources(shared);
  const auto searched = test::run({test::required_env_path("CURATOR_BIN").string(), "experiment", "cross-source", "--id",
                                   "s1", "--sources", "left,right", "--search", "2", "--max-epochs", "1", "--json",
                                   "--params", R"({"backbone": "resnet18", "image_size": 64, "steps_per_epoch": 2, "bootstrap": 50})",
                                   "--data-dir", env.services.dir.root().string(), "--set", "log.level=warn", "--set",
                                   "torch.threads=1"},
                                  {}, env.dir.path());
  INFO(searched.err);
  REQUIRE(searched.exit_code == 0);
  const auto search_runs = retrain::experiment_runs(*env.services.db, "s1");
  REQUIRE(search_runs.size() == 6);
  std::map<std::string, std::vector<nlohmann::json>> by_cell;
  for (const auto& r : search_runs) {
    CHECK(r.state == "done");
    by_cell[r.params.train_source].push_back(r.params.to_json());
  }
  CHECK(by_cell.size() == 3);
  for (const auto& [cell, params] : by_cell) {
    INFO(cell);
    REQUIRE(params.size() == 2);
    CHECK(params[0] != params[1]); // sampled, not the base parameters twice
  }
  CHECK(nlohmann::json::parse(searched.out)["result"]["cells"]["all"]["left"]["runs"] == 2);
}
