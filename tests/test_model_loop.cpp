// The continuous loop end to end on real clips: import, confirm by a reviewer, a round (snapshot, tiny
// training, gate, promotion), scoring through the daemon's API; and the registry's atomicity when the
// process promoting a model is SIGKILLed at random moments.
#include "core/config.hpp"
#include "core/error.hpp"
#include "labeling/accounts.hpp"
#include "labeling/review_queue.hpp"
#include "retrain/retrain_round.hpp"
#include "serve/daemon.hpp"
#include "tests/support/ingest_env.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_data.hpp"

#include <SQLiteCpp/Statement.h>
#include <catch2/catch.hpp>
#include <httplib.h>

#include <cmath>
#include <csignal>
#include <fstream>
#include <random>
#include <thread>

using namespace curator;
using namespace std::chrono_literals;

namespace {

struct Loop {
  std::unique_ptr<test::IngestEnv> env;
  retrain::RoundResult round;
};

retrain::RoundOptions tiny_round(const core::Config& config) {
  auto o = retrain::RoundOptions::from_config(config);
  o.base.image_size = 64;
  o.base.batch = 16;
  o.base.steps_per_epoch = 3;
  o.base.epochs = 1;
  o.base.bootstrap = 50;
  o.gate.min_test_videos = 1; // six pairs: the test split holds one or two of each
  o.gate.first_min_auc = 0.0;
  return o;
}

// Once per process: 12 clips submitted as a contributor would, confirmed by a reviewer, one round.
Loop& loop() {
  static Loop l;
  if (l.env) return l;
  const auto data = test::shared_data_or_skip() / "deepfake/eyecantell";
  l.env = std::make_unique<test::IngestEnv>(std::vector<std::pair<std::string, std::string>>{{"ingest.sample_frames", "8"}});
  auto& s = l.env->services;
  std::vector<std::pair<int64_t, std::string>> ids;
  for (const char* name : {"Bateman", "Clinton", "Obama", "Putin", "Reagan", "Taxi"})
    for (const char* kind : {"Real", "Fake"}) {
      ingest::SubmissionMeta meta;
      meta.label = std::string(kind) == "Real" ? ingest::Label::real : ingest::Label::fake;
      meta.source = "eyecantell";
      const auto sub = l.env->ingest_file(data / (std::string(kind) + name + ".mp4"), meta);
      REQUIRE(sub.state == "done");
      ids.emplace_back(sub.id, std::string(kind) == "Real" ? "real" : "fake");
    }
  labeling::Accounts accounts(*s.db, l.env->clock, labeling::PasswordCost::minimum());
  const auto rita = accounts.add_user("test", "rita", labeling::Role::reviewer, "rita-password");
  labeling::ReviewQueue reviews(*s.db, l.env->clock, {1, 1});
  for (const auto& [id, label] : ids)
    reviews.decide(rita, id, label == "real" ? labeling::Verdict::real : labeling::Verdict::fake, "");
  l.round = retrain::run_round(*s.db, s.dir, l.env->clock, tiny_round(l.env->config), [] { return false; });
  return l;
}

} // namespace

TEST_CASE("import, confirm, train, gate, promote, then score through the API", "[loop]") {
  auto& l = loop();
  INFO(l.round.to_json().dump());
  REQUIRE(l.round.state == "done");
  REQUIRE(l.round.candidate);
  REQUIRE(l.round.decision);
  CHECK(l.round.decision->promoted); // the first champion: every counted source passes the minimum
  auto& s = l.env->services;
  retrain::ModelRegistry registry(*s.db, s.dir, l.env->clock);
  const auto champion = registry.champion();
  REQUIRE(champion);
  CHECK(champion->version == *l.round.candidate);
  CHECK(champion->card["snapshot_id"] == l.round.snapshot_id);
  CHECK(std::filesystem::exists(champion->dir / "torchscript.pt"));
  {
    auto conn = s.db->connect();
    SQLite::Statement q(*conn, "SELECT COUNT(*) FROM audit_log WHERE action = 'model.promote'");
    q.executeStep();
    CHECK(q.getColumn(0).getInt() == 1);
  }

  const auto submissions = l.env->count("SELECT COUNT(*) FROM submissions");
  auto config = core::Config::defaults(core::default_settings(), {{"data.dir", s.dir.root().string()},
                                                                  {"server.port", "0"},
                                                                  {"jobs.workers", "1"},
                                                                  {"jobs.poll_interval_ms", "50"},
                                                                  {"scheduler.enabled", "false"},
                                                                  {"ingest.sample_frames", "6"},
                                                                  {"faces.models_dir", test::models_root().string()}});
  serve::Daemon daemon(config);
  daemon.start();
  httplib::Client client("127.0.0.1", daemon.port());
  client.set_read_timeout(180);
  const auto clip = test::shared_data_or_skip() / "deepfake/eyecantell/FakeObama.mp4";
  std::ifstream in(clip, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto res = client.Post("/api/v1/score", httplib::MultipartFormDataItems{{"file", bytes, "FakeObama.mp4", "video/mp4"}});
  REQUIRE(res);
  INFO(res->body);
  REQUIRE(res->status == 200);
  const auto j = nlohmann::json::parse(res->body);
  CHECK(j["model_version"] == champion->version);
  CHECK(j["frames"].size() == 6);
  CHECK(j["faces"].size() >= 5);
  CHECK(j["tracks"].size() >= 1);
  CHECK((j["video"]["verdict"] == "fake" || j["video"]["verdict"] == "real"));
  CHECK(l.env->count("SELECT COUNT(*) FROM submissions") == submissions); // scoring does not add to the dataset
  // The result is the requester's: the job is not readable by number alone.
  CHECK(client.Get(("/api/v1/jobs/" + std::to_string(j["job"].get<int64_t>())).c_str())->status == 404);

  // Asked to, it does: the video is ingested, waits for review, and the champion's score reaches its
  // review item (ingest -> dataset.refresh -> review.score), which orders the reviewers' queue.
  std::ifstream other(test::shared_data_or_skip() / "video/retalking/3.mp4", std::ios::binary); // not ingested yet
  const std::string fresh((std::istreambuf_iterator<char>(other)), std::istreambuf_iterator<char>());
  auto added = client.Post("/api/v1/score", httplib::MultipartFormDataItems{{"file", fresh, "talk.mp4", "video/mp4"},
                                                                             {"add_to_dataset", "true", "", ""}});
  REQUIRE(added->status == 200);
  const int64_t sub = nlohmann::json::parse(added->body)["submission"];
  CHECK(client.Get(nlohmann::json::parse(added->body)["submission_url"].get<std::string>().c_str())->status == 200);
  CHECK(l.env->count("SELECT COUNT(*) FROM submissions") == submissions + 1);
  const bool scored = test::eventually(
      [&] {
        return l.env->count("SELECT COUNT(*) FROM review_items WHERE model_score IS NOT NULL AND submission_id = " +
                            std::to_string(sub)) == 1;
      },
      120s);
  CHECK(scored);

  auto models = nlohmann::json::parse(client.Get("/api/v1/models")->body);
  CHECK(models["champion"] == champion->version);
  CHECK(models["decisions"].size() == 1);
  CHECK(models["rounds"][0]["state"] == "done");
  CHECK(client.Get("/api/v1/models/champion")->status == 200);
  auto download = client.Get(("/api/v1/models/" + std::to_string(champion->version) + "/torchscript").c_str());
  REQUIRE(download->status == 200);
  CHECK(download->body.size() == std::filesystem::file_size(champion->dir / "torchscript.pt"));
  auto page = client.Get("/models");
  CHECK(page->status == 200);
  CHECK_THAT(page->body, Catch::Contains("eyecantell") && Catch::Contains("first champion"));
  daemon.stop("test");
}

TEST_CASE("a promotion killed at any moment leaves one loadable champion", "[loop]") {
  auto& l = loop();
  REQUIRE(l.round.state == "done");
  auto& s = l.env->services;
  // A second run whose card says it measured better on the test split (a copy of the round's run with
  // its AUCs raised), so that registering it promotes it over the round's model: the alias really moves.
  const auto runs = s.dir.root() / "runs";
  std::filesystem::remove_all(runs / "better");
  std::filesystem::copy(runs / l.round.search_id, runs / "better");
  {
    auto card = nlohmann::json::parse(std::ifstream(runs / "better" / "card.json"));
    for (auto& [source, m] : card["metrics"]["test"].items()) {
      auto& v = m["frames"]["auc"]["value"];
      if (v.is_number()) v = std::min(1.0, v.get<double>() + 0.2);
    }
    std::ofstream(runs / "better" / "card.json") << card.dump();
  }
  const std::string run_dir_name = "better";
  const std::string bin = test::required_env_path("CURATOR_BIN").string();
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> delay_ms(30, 1300); // a register + gate takes about 1.5 s here
  auto check_invariants = [&](int iteration) {
    INFO("after kill " << iteration);
    auto conn = s.db->connect();
    SQLite::Statement c(*conn, "SELECT COUNT(*) FROM model_versions WHERE state = 'champion'");
    c.executeStep();
    CHECK(c.getColumn(0).getInt() == 1);
    retrain::ModelRegistry registry(*s.db, s.dir, l.env->clock);
    const auto champion = registry.champion();
    REQUIRE(champion);
    CHECK(champion->state == "champion");
    for (const auto& v : registry.list()) { // every version the database knows has all its files
      CHECK(std::filesystem::exists(v.dir / "model.pt"));
      CHECK(std::filesystem::exists(v.dir / "torchscript.pt"));
      CHECK(std::filesystem::exists(v.dir / "card.json"));
    }
    const auto logits = retrain::logits_for_check(champion->ref(), 64); // loadable
    CHECK(std::isfinite(logits[0]));
  };
  int finished = 0;
  for (int i = 0; i < 8; ++i) {
    std::vector<std::string> argv = {bin, "model", "register", run_dir_name, "--gate", "--data-dir", s.dir.root().string(),
                                     "--set", "promotion.min_test_videos=1", "--set", "promotion.first_min_auc=0",
                                     "--set", "promotion.tolerance=1", "--set", "promotion.margin=0"};
    if (i % 3 == 2) argv = {bin, "model", "rollback", "--data-dir", s.dir.root().string()};
    test::Process p(argv, {}, l.env->dir / ("kill" + std::to_string(i)));
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    p.signal(SIGKILL);
    const auto code = p.wait(30s);
    finished += code && *code != 128 + SIGKILL;
    check_invariants(i);
  }
  WARN(finished << " of 8 commands finished before the kill");
  // And it still works afterwards.
  const auto ok = test::run({bin, "model", "rollback", "--data-dir", s.dir.root().string()}, {}, l.env->dir.path());
  CHECK((ok.exit_code == 0 || ok.err.find("no predecessor") != std::string::npos));
  check_invariants(99);
}
