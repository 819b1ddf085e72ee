// The continuous loop end to end on real clips: import, confirm by a reviewer, a round (snapshot, tiny
// training, gate, promotion), scoring through the daemon's API; and the registry's atomicity when the
// process promoting a model is SIGKILLed at random moments.
#include "core/config.hpp"
#include "core/error.hpp"
#include "dataset/snapshot.hpp"
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
#include <map>
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
  o.base.backbone = "resnet18"; // tiny and fast at 64 px (faceapi needs 112 or more)
  o.base.init_weights.clear();
  o.base.image_size = 64;
  o.base.batch = 16;
  o.base.steps_per_epoch = 3;
  o.base.epochs = 1;
  o.base.bootstrap = 50;
  o.gate.min_test_videos = 1; // six pairs: the test split holds one or two of each
  o.gate.first_min_auc = 0.0;
  o.gate.allow_scratch = true; // no ImageNet weights on this machine
  o.gate.resamples = 200;
  return o;
}

// Once per process: 12 clips submitted as a contributor would, confirmed by a reviewer, one round.
Loop& loop() {
  static Loop l;
  if (l.env) return l;
  const auto data = *test::shared_data() / "deepfake/eyecantell"; // callers checked that it exists
  l.env = std::make_unique<test::IngestEnv>(std::vector<std::pair<std::string, std::string>>{{"ingest.sample_frames", "8"}});
  auto& s = l.env->services;
  std::vector<std::pair<int64_t, std::string>> ids;
  for (const char* name : {"Bateman", "Clinton", "Obama", "Putin", "Reagan", "Taxi"})
    for (const char* kind : {"Real", "Fake"}) {
      ingest::SubmissionMeta meta;
      meta.label = std::string(kind) == "Real" ? ingest::Label::real : ingest::Label::fake;
      meta.source = "eyecantell";
      const auto sub = l.env->ingest_file(data / (std::string(kind) + name + ".mp4"), meta);
      REQUIRE(sub.state == ingest::SubmissionState::done);
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
  CURATOR_SHARED_DATA(shared);
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
                                                                  {"ingest.sample_frames", "8"},
                                                                  {"score.precision", "fp32"}, // parity below
                                                                  {"faces.models_dir", test::models_root().string()}});
  serve::Daemon daemon(config);
  daemon.start();
  httplib::Client client("127.0.0.1", daemon.port());
  client.set_read_timeout(180);
  const auto clip = shared / "deepfake/eyecantell/FakeObama.mp4";
  std::ifstream in(clip, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto res = client.Post("/api/v1/score", httplib::MultipartFormDataItems{{"file", bytes, "FakeObama.mp4", "video/mp4"}});
  REQUIRE(res);
  INFO(res->body);
  REQUIRE(res->status == 200);
  const auto j = nlohmann::json::parse(res->body);
  CHECK(j["model_version"] == champion->version);
  CHECK(j["precision"] == "fp32");
  CHECK(j["frames"].size() == 8);
  CHECK(j["faces"].size() >= 5);
  // Train/serve parity: the served per-face scores equal the evaluation's scores of the same frames'
  // stored crops (FakeObama was ingested with the same 8 frames).
  {
    const auto snap = dataset::find_snapshot(*s.db, s.dir, champion->snapshot_id);
    const auto items = dataset::read_manifest(snap.manifest);
    int64_t video = -1;
    std::string split;
    {
      auto conn = s.db->connect();
      SQLite::Statement q(*conn, "SELECT id FROM submissions WHERE original_name = 'FakeObama.mp4'");
      REQUIRE(q.executeStep());
      video = q.getColumn(0).getInt64();
    }
    for (const auto& m : items)
      if (m.video == video) split = m.split;
    REQUIRE_FALSE(split.empty());
    std::map<int, std::vector<double>> evaluated, served; // frame -> scores of its faces
    for (const auto& c : retrain::score_split(champion->ref(), s.dir.root(), items, split, 2))
      if (c.video == video) evaluated[c.frame].push_back(c.p_fake);
    for (const auto& face : j["faces"]) served[face["frame"].get<int>()].push_back(face["p_fake"].get<double>());
    REQUIRE(evaluated.size() >= 5);
    int compared = 0;
    for (auto& [frame, scores] : evaluated) {
      INFO("frame " << frame);
      REQUIRE(served.count(frame));
      auto a = scores, b = served[frame];
      std::sort(a.begin(), a.end()), std::sort(b.begin(), b.end());
      REQUIRE(a.size() == b.size());
      for (size_t k = 0; k < a.size(); ++k, ++compared) CHECK(std::abs(a[k] - b[k]) < 1e-5);
    }
    CHECK(compared >= 5);
  }
  CHECK(j["tracks"].size() >= 1);
  CHECK((j["video"]["verdict"] == "fake" || j["video"]["verdict"] == "real"));
  CHECK(l.env->count("SELECT COUNT(*) FROM submissions") == submissions); // scoring does not add to the dataset
  // The result is the requester's: the job is not readable by number alone.
  CHECK(client.Get(("/api/v1/jobs/" + std::to_string(j["job"].get<int64_t>())).c_str())->status == 404);

  // Asked to, it does: the video is ingested, waits for review, and the champion's score reaches its
  // review item (ingest -> dataset.refresh -> review.score), which orders the reviewers' queue.
  std::ifstream other(shared / "video/retalking/3.mp4", std::ios::binary); // not ingested yet
  const std::string fresh((std::istreambuf_iterator<char>(other)), std::istreambuf_iterator<char>());
  // The upload rules hold on this route too: no consent, nothing joins the dataset.
  auto no_consent = client.Post("/api/v1/score", httplib::MultipartFormDataItems{{"file", fresh, "talk.mp4", "video/mp4"},
                                                                                  {"add_to_dataset", "true", "", ""}});
  CHECK(no_consent->status == 400);
  CHECK_THAT(no_consent->body, Catch::Contains("consent"));
  CHECK(l.env->count("SELECT COUNT(*) FROM submissions") == submissions);
  auto added = client.Post("/api/v1/score", httplib::MultipartFormDataItems{{"file", fresh, "talk.mp4", "video/mp4"},
                                                                             {"add_to_dataset", "true", "", ""},
                                                                             {"consent_given", "on", "", ""},
                                                                             {"consent", "my own recording", "", ""}});
  REQUIRE(added->status == 200);
  const int64_t sub = nlohmann::json::parse(added->body)["submission"];
  // An anonymous one carries its browser's uploader mark (the cookie it was given), so that browser's
  // reviewer cannot confirm it, as on the upload routes.
  CHECK_THAT(added->get_header_value("Set-Cookie"), Catch::Contains("curator_uploader="));
  CHECK(l.env->count("SELECT COUNT(*) FROM submissions WHERE uploader_hash IS NOT NULL AND id = " + std::to_string(sub)) == 1);
  CHECK(client.Get(nlohmann::json::parse(added->body)["submission_url"].get<std::string>().c_str())->status == 200);
  CHECK(l.env->count("SELECT COUNT(*) FROM submissions") == submissions + 1);
  const bool scored = test::eventually(
      [&] {
        return l.env->count("SELECT COUNT(*) FROM review_items WHERE model_score IS NOT NULL AND submission_id = " +
                            std::to_string(sub)) == 1;
      },
      120s);
  CHECK(scored);

  // Four score requests whose clients gave up while their videos wait to be scored hold no upload slot
  // (server.max_uploads is 4): an upload right after them is accepted, not turned away with 503.
  {
    std::vector<std::thread> abandoned;
    for (int i = 0; i < 4; ++i)
      abandoned.emplace_back([&] {
        httplib::Client quitter("127.0.0.1", daemon.port());
        quitter.set_read_timeout(1); // gives up long before the answer
        quitter.Post("/api/v1/score", httplib::MultipartFormDataItems{{"file", bytes, "FakeObama.mp4", "video/mp4"}});
      });
    for (auto& t : abandoned) t.join();
    const auto waiting = l.env->count("SELECT COUNT(*) FROM jobs WHERE kind = 'score.video' AND state IN ('queued', 'running')");
    INFO(waiting << " score jobs still waiting");
    const auto upload = client.Post("/api/v1/submissions", httplib::MultipartFormDataItems{{"file", fresh, "again.mp4", "video/mp4"},
                                                                                        {"label", "real", "", ""}});
    REQUIRE(upload);
    CHECK(upload->status == 202);
    CHECK(waiting >= 1); // the check above ran while abandoned requests were still pending
  }

  // Unpublished weights are staff-only: a new candidate's TorchScript does not exist for anyone else.
  const auto candidate = registry.register_run(champion->run_id, s.dir.run_folder(champion->run_id));
  const auto candidate_url = "/api/v1/models/" + std::to_string(candidate.version) + "/torchscript";
  CHECK(client.Get(candidate_url.c_str())->status == 404);
  CHECK(client.Get("/models")->body.find(candidate_url) == std::string::npos);

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

TEST_CASE("the gate recomputes: the champion's own weights never win, whatever their card claims", "[loop]") {
  CURATOR_SHARED_DATA(shared);
  auto& l = loop();
  REQUIRE(l.round.state == "done");
  auto& s = l.env->services;
  // A copy of the champion's run whose card claims +0.2 AUC on every test source.
  const auto runs = s.dir.runs();
  std::filesystem::remove_all(runs / "claims-better");
  std::filesystem::copy(runs / l.round.search_id, runs / "claims-better");
  {
    auto card = nlohmann::json::parse(std::ifstream(runs / "claims-better" / "card.json"));
    for (auto& [source, m] : card["metrics"]["test"].items())
      for (const char* metric : {"frames", "videos_mean", "videos_confident"}) {
        auto& v = m[metric]["auc"]["value"];
        if (v.is_number()) v = std::min(1.0, v.get<double>() + 0.2);
      }
    std::ofstream(runs / "claims-better" / "card.json") << card.dump();
  }
  const auto r = test::run({test::required_env_path("CURATOR_BIN").string(), "model", "register", "claims-better",
                            "--gate", "--data-dir", s.dir.root().string(), "--set", "promotion.min_test_videos=1",
                            "--set", "promotion.allow_scratch=true", "--set", "promotion.tolerance=1",
                            "--set", "faces.models_dir=" + test::models_root().string()},
                           {}, l.env->dir.path());
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto lines = r.out.substr(r.out.find('\n') + 1);
  const auto decision = nlohmann::json::parse(lines);
  CHECK(decision["promoted"] == false);
  int judged = 0;
  for (const auto& v : decision["decision"]["sources"]) {
    if (!v["judged"].get<bool>()) continue;
    ++judged;
    CHECK(v["delta"]["value"].get<double>() == 0.0); // recomputed: the same scores, whatever the card says
    CHECK(v["delta"]["low"].get<double>() == 0.0);
    CHECK(v["verdict"] == "non_inferior");
  }
  CHECK(judged >= 1);
  retrain::ModelRegistry registry(*s.db, s.dir, l.env->clock);
  CHECK(registry.champion()->version == *l.round.candidate);
}

TEST_CASE("a promotion killed at any moment leaves one loadable champion", "[loop]") {
  CURATOR_SHARED_DATA(shared);
  auto& l = loop();
  REQUIRE(l.round.state == "done");
  auto& s = l.env->services;
  // A data folder where the round's model is registered but not yet judged: the first promotion, which
  // moves the alias from nothing to it. Each attempt starts from a fresh copy and is killed at a random
  // moment; the copy must then hold either no champion (candidate pending) or the new one, loadable.
  const auto base = l.env->dir / "before-gate";
  std::filesystem::remove_all(base);
  std::filesystem::copy(s.dir.root(), base, std::filesystem::copy_options::recursive);
  int64_t version = 0;
  {
    core::Database db(base / "curator.db", 5000);
    auto conn = db.connect();
    conn->exec("DELETE FROM model_aliases; DELETE FROM model_alias_history; DELETE FROM promotion_decisions; "
               "UPDATE model_versions SET state = 'candidate'");
    SQLite::Statement q(*conn, "SELECT MIN(version) FROM model_versions");
    q.executeStep();
    version = q.getColumn(0).getInt64();
  }
  const std::string bin = test::required_env_path("CURATOR_BIN").string();
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> delay_ms(20, 5000); // the gate takes 1-4 s, more when the machine is busy
  int promoted = 0, pending = 0;
  for (int i = 0; i < 8; ++i) {
    const auto dir = l.env->dir / ("kill" + std::to_string(i));
    std::filesystem::remove_all(dir);
    std::filesystem::copy(base, dir, std::filesystem::copy_options::recursive);
    test::Process p({bin, "model", "gate", std::to_string(version), "--data-dir", dir.string(), "--set",
                     "promotion.min_test_videos=1", "--set", "promotion.first_min_auc=0", "--set",
                     "promotion.allow_scratch=true", "--set", "faces.models_dir=" + test::models_root().string()},
                    {}, l.env->dir / ("kill" + std::to_string(i) + "-log"));
    // Sanitizer builds run the gate several times slower: the delays stretch with it.
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng) * test::time_scale()));
    p.signal(SIGKILL);
    REQUIRE(p.wait(30s));
    INFO("after kill " << i);
    core::DataDir data(dir);
    core::Database db(data.database(), 5000);
    retrain::ModelRegistry registry(db, data, l.env->clock);
    auto conn = db.connect();
    SQLite::Statement c(*conn, "SELECT COUNT(*) FROM model_versions WHERE state = 'champion'");
    c.executeStep();
    const int champions = c.getColumn(0).getInt();
    CHECK(champions <= 1);
    const auto champion = registry.champion();
    if (champion) {
      ++promoted;
      CHECK(champions == 1);
      CHECK(champion->version == version);
      CHECK(std::isfinite(retrain::logits_for_check(champion->ref(), 64)[0])); // loadable
      CHECK(registry.decisions(10).size() == 1);
    } else {
      ++pending;
      CHECK(champions == 0);
      CHECK(registry.get(version).state == retrain::ModelState::candidate);
      CHECK(registry.decisions(10).empty());
    }
    for (const auto& v : registry.list()) { // every version the database knows has all its files
      CHECK(std::filesystem::exists(v.dir / "model.pt"));
      CHECK(std::filesystem::exists(v.dir / "torchscript.pt"));
      CHECK(std::filesystem::exists(v.dir / "card.json"));
    }
    // Whatever the kill left, the gate can run again to completion.
    if (!champion) {
      const auto again = test::run({bin, "model", "gate", std::to_string(version), "--data-dir", dir.string(), "--set",
                                    "promotion.min_test_videos=1", "--set", "promotion.first_min_auc=0", "--set",
                                    "promotion.allow_scratch=true", "--set",
                                    "faces.models_dir=" + test::models_root().string()},
                                   {}, l.env->dir.path());
      INFO(again.err);
      CHECK(again.exit_code == 0);
      CHECK(registry.champion().has_value());
    }
  }
  // The random delays covered both sides of the commit.
  CHECK(promoted >= 1);
  CHECK(pending >= 1);
}
