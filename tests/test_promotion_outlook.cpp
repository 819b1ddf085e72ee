// Whether a round could promote, before any training: the rule on plain inputs (initialisation first,
// then the gate's test-video counts), the counts read from a hand-made dataset, the scheduler that starts
// no round that cannot promote, and the sentence in the status report, the API, the pages and the CLI.
#include "core/config.hpp"
#include "core/settings.hpp"
#include "dataset/dataset_store.hpp"
#include "labeling/accounts.hpp"
#include "retrain/promotion_outlook.hpp"
#include "serve/daemon.hpp"
#include "serve/model_loop.hpp"
#include "tests/support/dataset_fixture.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_data.hpp"

#include <SQLiteCpp/Statement.h>
#include <catch2/catch.hpp>
#include <httplib.h>

#include <fstream>

using namespace curator;
using Catch::Contains;

namespace {

// A configuration that a round could promote under, but for the data: ImageNet weights are not needed.
retrain::OutlookInputs can_start() {
  retrain::OutlookInputs in;
  in.backbone = "faceapi";
  in.min_test_videos = 20;
  in.confirmed_videos = 300;
  in.test = {{"ffpp", 25, 30}, {"youtube", 7, 12}};
  return in;
}

// `real` and `fake` confirmed videos of `source` put in `split` by an official list, one person each.
void add_videos(test::DatasetFixture& fx, const std::string& source, const std::string& split, int real, int fake,
                bool confirmed = true) {
  static int person = 0;
  for (int i = 0; i < real + fake; ++i, ++person) {
    test::FakeVideo v{source + "-" + split + "-" + std::to_string(person), source, i < real ? "real" : "fake",
                      {fx.face_of(person)}};
    v.official_split = split;
    v.confirmed = confirmed;
    fx.add(v);
  }
}

core::Config config_of(test::DatasetFixture& fx, std::vector<std::pair<std::string, std::string>> settings) {
  settings.emplace_back("data.dir", fx.dir.root().string());
  return core::Config::defaults(core::default_settings(), settings);
}

int64_t rounds_queued(serve::Services& s) {
  auto conn = s.db->connect();
  SQLite::Statement q(*conn, "SELECT COUNT(*) FROM jobs WHERE kind = 'model.retrain'");
  q.executeStep();
  return q.getColumn(0).getInt64();
}

} // namespace

TEST_CASE("the outlook refuses a scratch-only configuration whatever the data, and names the fix", "[models]") {
  auto in = can_start();
  CHECK(retrain::promotion_outlook(in).can_promote); // face-pretrained: starts from weights
  in.backbone = "resnet18";
  auto o = retrain::promotion_outlook(in);
  CHECK_FALSE(o.can_promote);
  CHECK(o.reason == retrain::OutlookReason::scratch_only);
  CHECK_THAT(o.sentence, Contains("trained from scratch (train.backbone = resnet18 with no train.init_weights)") &&
                             Contains("promotion.allow_scratch is false") && Contains("set train.backbone = faceapi"));
  CHECK(o.to_json() == nlohmann::json{{"can_promote", false}, {"reason", "scratch_only"}, {"sentence", o.sentence}});
  in.confirmed_videos = 0, in.test.clear(); // the configuration is said first: no data would help
  CHECK(retrain::promotion_outlook(in).reason == retrain::OutlookReason::scratch_only);
  in = can_start(), in.backbone = "resnet18", in.allow_scratch = true;
  CHECK(retrain::promotion_outlook(in).can_promote);
  in.allow_scratch = false, in.init_weights = "/opt/weights/resnet18.pt", in.init_weights_exist = true;
  CHECK(retrain::promotion_outlook(in).can_promote);
  in.init_weights_exist = false; // every round would fail on the missing file
  o = retrain::promotion_outlook(in);
  CHECK(o.reason == retrain::OutlookReason::init_weights_missing);
  CHECK_THAT(o.sentence, Contains("/opt/weights/resnet18.pt, which does not exist"));
}

TEST_CASE("the outlook needs one source with the gate's count of real and of fake test videos", "[models]") {
  auto in = can_start();
  in.test = {{"youtube", 7, 12}, {"ffpp", 3, 30}};
  auto o = retrain::promotion_outlook(in);
  CHECK_FALSE(o.can_promote);
  CHECK(o.reason == retrain::OutlookReason::too_few_test_videos);
  CHECK(o.sentence == "Nothing can be promoted yet: no source has 20 confirmed real and 20 confirmed fake test videos "
                      "(best: youtube with 7 real, 12 fake); confirm more reviews (about 1 in 6 videos goes to the "
                      "test split) or lower promotion.min_test_videos.");
  in.test = {{"ffpp", 20, 19}}; // both labels, as the gate counts them
  CHECK(retrain::promotion_outlook(in).reason == retrain::OutlookReason::too_few_test_videos);
  in.test = {{"ffpp", 20, 20}, {"youtube", 7, 12}};
  o = retrain::promotion_outlook(in);
  CHECK(o.can_promote);
  CHECK(o.reason == retrain::OutlookReason::ok);
  CHECK_THAT(o.sentence, Contains("judge ffpp (") && Contains("first champion"));
  in.has_champion = true;
  CHECK_THAT(retrain::promotion_outlook(in).sentence, Contains("beat the champion"));
  in.test = {{"youtube", 7, 12}}, in.min_test_videos = 7;
  CHECK(retrain::promotion_outlook(in).can_promote);
  in.test.clear(), in.confirmed_videos = 0;
  o = retrain::promotion_outlook(in);
  CHECK(o.reason == retrain::OutlookReason::no_confirmed_data);
  CHECK_THAT(o.sentence, Contains("no video with faces is confirmed"));
}

TEST_CASE("the outlook counts what the gate will see: confirmed test videos with faces", "[models]") {
  test::DatasetFixture fx;
  add_videos(fx, "youtube", "test", 2, 2);
  add_videos(fx, "youtube", "test", 3, 3, false); // pending review: not in a snapshot
  add_videos(fx, "youtube", "train", 4, 4);
  add_videos(fx, "ffpp", "test", 5, 1);
  fx.add({"no-face", "youtube", "fake", {}}); // no face crops: nothing to score
  dataset::refresh_splits(fx.db, fx.clock, {});
  auto conn = fx.db.connect();
  auto in = retrain::outlook_inputs(config_of(fx, {{"promotion.min_test_videos", "2"}, {"train.backbone", "resnet18"}}), *conn);
  CHECK(in.confirmed_videos == 2 + 2 + 8 + 6);
  REQUIRE(in.test.size() == 2);
  CHECK((in.test[0].source == "ffpp" && in.test[0].real == 5 && in.test[0].fake == 1));
  CHECK((in.test[1].source == "youtube" && in.test[1].real == 2 && in.test[1].fake == 2));
  CHECK(in.backbone == "resnet18");
  CHECK_FALSE(in.has_champion);
  CHECK(retrain::promotion_outlook(in).reason == retrain::OutlookReason::scratch_only);
  // The round's own parameters count: scheduler.params overrides train.backbone.
  auto o = retrain::promotion_outlook(
      config_of(fx, {{"promotion.min_test_videos", "2"}, {"scheduler.params", R"({"backbone": "faceapi"})"}}), *conn);
  CHECK(o.can_promote);
  o = retrain::promotion_outlook(config_of(fx, {{"promotion.min_test_videos", "3"}, {"promotion.allow_scratch", "true"},
                                                {"train.backbone", "resnet18"}}),
                                 *conn);
  CHECK(o.reason == retrain::OutlookReason::too_few_test_videos);
  CHECK_THAT(o.sentence, Contains("(best: youtube with 2 real, 2 fake)"));
  o = retrain::promotion_outlook(
      config_of(fx, {{"train.backbone", "resnet18"}, {"train.init_weights", (fx.dir.root() / "none.pt").string()}}), *conn);
  CHECK(o.reason == retrain::OutlookReason::init_weights_missing);
}

TEST_CASE("the scheduler starts no round that cannot promote, and starts one once the data suffices", "[models]") {
  test::DatasetFixture fx;
  add_videos(fx, "youtube", "test", 2, 1);
  add_videos(fx, "youtube", "train", 3, 3);
  dataset::refresh_splits(fx.db, fx.clock, {});
  const std::vector<std::pair<std::string, std::string>> due = {{"scheduler.min_new_confirmed", "3"},
                                                                {"promotion.min_test_videos", "2"},
                                                                {"train.backbone", "resnet18"}};
  const auto scratch_only = config_of(fx, due);
  auto allowed_settings = due;
  allowed_settings.emplace_back("promotion.allow_scratch", "true");
  const auto allowed = config_of(fx, allowed_settings);
  serve::Services services(allowed, fx.clock);

  serve::ModelLoop blocked(services, scratch_only, fx.clock); // 9 new confirmations: due by count
  CHECK(blocked.outlook().reason == retrain::OutlookReason::scratch_only);
  CHECK_FALSE(blocked.tick());
  serve::ModelLoop loop(services, allowed, fx.clock);
  CHECK(loop.outlook().reason == retrain::OutlookReason::too_few_test_videos); // one fake test video of two
  CHECK_FALSE(loop.tick());
  fx.clock.advance_ms(48 * 3'600'000LL); // by time as well: still nothing to promote
  CHECK_FALSE(loop.tick());
  CHECK(rounds_queued(services) == 0);

  add_videos(fx, "youtube", "test", 0, 1); // the second fake test video, given its split
  dataset::refresh_splits(fx.db, fx.clock, {});
  CHECK(loop.outlook().can_promote);
  const auto job = loop.tick();
  REQUIRE(job);
  CHECK(rounds_queued(services) == 1);
  CHECK_FALSE(blocked.tick()); // scratch only, whatever the data
}

TEST_CASE("status, the API, the pages and `curator status` say why nothing can be promoted", "[models]") {
  test::DatasetFixture fx;
  add_videos(fx, "youtube", "test", 1, 1);
  dataset::refresh_splits(fx.db, fx.clock, {});
  const std::string data = fx.dir.root().string();
  auto config = core::Config::defaults(core::default_settings(), {{"data.dir", data},
                                                                  {"server.port", "0"},
                                                                  {"jobs.workers", "1"},
                                                                  {"scheduler.enabled", "false"},
                                                                  {"train.backbone", "resnet18"}});
  const auto expected = [&] {
    auto conn = fx.db.connect();
    return retrain::promotion_outlook(config, *conn);
  }();
  REQUIRE(expected.reason == retrain::OutlookReason::scratch_only);
  {
    serve::Daemon daemon(config);
    daemon.start();
    httplib::Client client("127.0.0.1", daemon.port());
    const auto status = nlohmann::json::parse(client.Get("/api/v1/status")->body);
    CHECK(status["database"]["promotion_outlook"] == expected.to_json());
    const auto models = nlohmann::json::parse(client.Get("/api/v1/models")->body);
    CHECK(models["outlook"] == expected.to_json());
    CHECK_THAT(client.Get("/models")->body, Contains("id=\"outlook\"") && Contains("promotion.allow_scratch is false"));
    core::SystemClock clock;
    labeling::Accounts(daemon.database(), clock, labeling::PasswordCost::minimum())
        .add_user("test", "olga", labeling::Role::admin, "olga-password");
    auto signed_in = client.Post("/api/v1/session", R"({"username":"olga","password":"olga-password"})", "application/json");
    REQUIRE(signed_in->status == 200);
    const std::string cookie = signed_in->get_header_value("Set-Cookie");
    const auto runs = client.Get("/runs", {{"Cookie", cookie.substr(0, cookie.find(';'))}});
    REQUIRE(runs->status == 200);
    CHECK_THAT(runs->body, Contains("id=\"outlook\"") && Contains("promotion.allow_scratch is false"));
    daemon.stop("test");
  }

  const std::string bin = test::required_env_path("CURATOR_BIN").string();
  const auto json = test::run({bin, "status", "--json", "--data-dir", data, "--set", "train.backbone=resnet18"}, {}, fx.tmp.path());
  REQUIRE(json.exit_code == 0);
  CHECK(nlohmann::json::parse(json.out)["database"]["promotion_outlook"] == expected.to_json());
  const auto text = test::run({bin, "status", "--data-dir", data, "--set", "train.backbone=resnet18"}, {}, fx.tmp.path());
  CHECK_THAT(text.out, Contains("promotion:    " + expected.sentence));
  // When a round can promote, the text says nothing more.
  const auto ok = test::run({bin, "status", "--data-dir", data, "--set", "train.backbone=resnet18", "--set",
                             "promotion.allow_scratch=true", "--set",
                             "promotion.min_test_videos=1"},
                            {}, fx.tmp.path());
  REQUIRE(ok.exit_code == 0);
  CHECK_THAT(ok.out, !Contains("promotion:"));
}
