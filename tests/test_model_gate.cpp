// The promotion gate's properties on random metric tables, and the scheduler's triggers with an
// injected clock (pure rule, database inputs, and the daemon's tick).
#include "core/config.hpp"
#include "core/job_queue.hpp"
#include "core/settings.hpp"
#include "retrain/promotion_gate.hpp"
#include "retrain/retrain_round.hpp"
#include "serve/daemon.hpp"
#include "serve/model_loop.hpp"
#include "tests/support/dataset_fixture.hpp"

#include <SQLiteCpp/Statement.h>
#include <catch2/catch.hpp>

#include <random>

using namespace curator;

namespace {

nlohmann::json table(const std::map<std::string, std::tuple<double, int, int>>& rows) {
  nlohmann::json m = nlohmann::json::object();
  for (const auto& [source, row] : rows) {
    const auto& [auc, reals, fakes] = row;
    m[source] = {{"frames", {{"auc", {{"value", auc}}}}},
                 {"videos_mean", {{"reals", reals}, {"fakes", fakes}, {"auc", {{"value", auc}}}}}};
  }
  return m;
}

std::string trigger_of(serve::Services& s, int64_t job) {
  auto conn = s.db->connect();
  SQLite::Statement q(*conn, "SELECT payload FROM jobs WHERE id = ? AND kind = 'model.retrain'");
  q.bind(1, job);
  return q.executeStep() ? nlohmann::json::parse(q.getColumn(0).getString()).value("trigger", "") : "";
}

} // namespace

TEST_CASE("the gate never promotes a per-source regression, and needs an improvement", "[models]") {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> auc(0.3, 1.0), jitter(-0.05, 0.05);
  std::uniform_int_distribution<int> videos(0, 5), n_sources(1, 4);
  retrain::GateConfig g;
  g.min_test_videos = 2;
  g.tolerance = 0.01;
  g.margin = 0.005;
  int promoted = 0, refused = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    std::map<std::string, std::tuple<double, int, int>> champ, cand;
    const int k = n_sources(rng);
    for (int s = 0; s < k; ++s) {
      const std::string name = "src" + std::to_string(s);
      const int reals = videos(rng), fakes = videos(rng);
      const double a = auc(rng);
      champ[name] = {a, reals, fakes};
      cand[name] = {std::clamp(a + jitter(rng), 0.0, 1.0), reals, fakes};
    }
    const auto d = retrain::promotion_gate(table(cand), table(champ), g);
    bool any_eligible = false, regression = false, improvement = false;
    for (const auto& [name, row] : cand) {
      const auto& [a, reals, fakes] = row;
      if (reals < g.min_test_videos || fakes < g.min_test_videos) continue;
      any_eligible = true;
      const double c = std::get<0>(champ[name]);
      regression |= a < c - g.tolerance;
      improvement |= a > c + g.margin;
    }
    INFO(d.to_json().dump());
    CHECK(d.promote == (any_eligible && !regression && improvement));
    (d.promote ? promoted : refused) += 1;
  }
  CHECK(promoted > 100); // both outcomes were exercised
  CHECK(refused > 100);
}

TEST_CASE("without a champion every counted source must reach the minimum", "[models]") {
  retrain::GateConfig g;
  g.min_test_videos = 1;
  g.first_min_auc = 0.6;
  CHECK(retrain::promotion_gate(table({{"ffpp", {0.7, 3, 3}}, {"dfdc", {0.65, 2, 2}}}), nullptr, g).promote);
  const auto low = retrain::promotion_gate(table({{"ffpp", {0.7, 3, 3}}, {"dfdc", {0.55, 2, 2}}}), nullptr, g);
  CHECK_FALSE(low.promote);
  CHECK(low.sources[0].verdict == "below_minimum"); // dfdc (sorted first)
  // A source with too few videos does not count either way.
  CHECK(retrain::promotion_gate(table({{"ffpp", {0.7, 3, 3}}, {"tiny", {0.1, 0, 5}}}), nullptr, g).promote);
  CHECK_FALSE(retrain::promotion_gate(table({{"tiny", {0.9, 0, 5}}}), nullptr, g).promote); // nothing to judge
  // "all" is not a source.
  auto t = table({{"ffpp", {0.7, 3, 3}}});
  t["all"] = t["ffpp"];
  t["all"]["frames"]["auc"]["value"] = 0.1;
  CHECK(retrain::promotion_gate(t, nullptr, g).promote);
}

TEST_CASE("retraining triggers on the count of new confirmations and on time", "[models]") {
  retrain::TriggerInputs in;
  in.now_ms = 10 * 3'600'000LL;
  in.confirmed_since = 49;
  in.oldest_new_confirmation_ms = in.now_ms - 1000;
  CHECK_FALSE(retrain::retrain_trigger(in, 50, 24));
  in.confirmed_since = 50;
  CHECK(retrain::retrain_trigger(in, 50, 24) == std::optional<std::string>("count"));
  in.round_running = true;
  CHECK_FALSE(retrain::retrain_trigger(in, 50, 24)); // one at a time
  in.round_running = false;
  in.confirmed_since = 3;
  in.last_round_ms = in.now_ms - 23 * 3'600'000LL;
  CHECK_FALSE(retrain::retrain_trigger(in, 50, 24));
  in.last_round_ms = in.now_ms - 24 * 3'600'000LL;
  CHECK(retrain::retrain_trigger(in, 50, 24) == std::optional<std::string>("time"));
  in.confirmed_since = 0; // nothing new: no round, however long ago
  CHECK_FALSE(retrain::retrain_trigger(in, 50, 24));
  in.confirmed_since = 3;
  CHECK_FALSE(retrain::retrain_trigger(in, 50, 0)); // time trigger off
}

TEST_CASE("the daemon's scheduler queues one round when due, by its clock", "[models]") {
  test::DatasetFixture fx;
  for (int i = 0; i < 3; ++i) fx.add({"v" + std::to_string(i), "contributor", "real", {fx.face_of(i)}});
  auto config = core::Config::defaults(core::default_settings(), {{"data.dir", fx.dir.root().string()},
                                                                  {"scheduler.min_new_confirmed", "5"},
                                                                  {"scheduler.every_hours", "2"}});
  serve::Services services(config, fx.clock);
  serve::ModelLoop loop(services, config, fx.clock);
  CHECK_FALSE(loop.tick()); // 3 new confirmations, the oldest just now
  fx.clock.advance_ms(2 * 3'600'000LL);
  const auto first = loop.tick(); // two hours later: by time
  REQUIRE(first);
  CHECK(trigger_of(services, *first) == "time");
  CHECK_FALSE(loop.tick()); // one round queued: no second

  // The round ran (a row in retrain_rounds) and its job finished.
  {
    auto conn = services.db->connect();
    conn->exec("UPDATE jobs SET state = 'done'");
    SQLite::Statement q(*conn, "INSERT INTO retrain_rounds(trigger, state, started_ms, finished_ms) VALUES ('time', 'done', ?, ?)");
    q.bind(1, fx.clock.now_ms()), q.bind(2, fx.clock.now_ms());
    q.exec();
  }
  fx.clock.advance_ms(1000);
  CHECK_FALSE(loop.tick()); // nothing confirmed since
  for (int i = 10; i < 15; ++i) fx.add({"w" + std::to_string(i), "contributor", "fake", {fx.face_of(i)}});
  const auto second = loop.tick(); // five new: by count, long before two hours
  REQUIRE(second);
  CHECK(trigger_of(services, *second) == "count");
}
