// The promotion gate on synthetic paired score tables (identical models, clear gains, a regression on one
// source, unjudged sources, the first model, scratch models, properties over random tables), and the
// scheduler's triggers with an injected clock (pure rule, database inputs, and the daemon's tick).
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/job_queue.hpp"
#include "core/settings.hpp"
#include "dataset/audit.hpp"
#include "dataset/dataset_store.hpp"
#include "dataset/snapshot.hpp"
#include "retrain/promotion_gate.hpp"
#include "retrain/retrain_round.hpp"
#include "retrain/round_store.hpp"
#include "serve/daemon.hpp"
#include "serve/model_loop.hpp"
#include "tests/support/dataset_fixture.hpp"

#include <SQLiteCpp/Statement.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

using namespace curator;

namespace {

// A source's test videos: `reals` and `fakes` videos of `frames` frames each, scored by two models. Each
// model's video score is label * separation + noise (higher separation: better ranking).
retrain::PairedScores source_scores(std::mt19937& rng, int reals, int fakes, double candidate_sep, double champion_sep,
                                    int frames = 4, int64_t first_video = 0) {
  std::normal_distribution<double> noise(0, 0.15);
  retrain::PairedScores s;
  int64_t video = first_video;
  for (int label : {0, 1})
    for (int v = 0; v < (label ? fakes : reals); ++v, ++video) {
      const double base = noise(rng);
      for (int f = 0; f < frames; ++f) {
        s.video.push_back(video);
        s.label.push_back(label);
        auto p = [&](double sep) { return 1 / (1 + std::exp(-(4 * (base + label * sep + 0.3 * noise(rng)) - 2))); };
        s.candidate.push_back(p(candidate_sep));
        s.champion.push_back(p(champion_sep));
      }
    }
  return s;
}

const retrain::SourceVerdict& verdict_of(const retrain::GateDecision& d, const std::string& source) {
  for (const auto& v : d.sources)
    if (v.source == source) return v;
  throw std::logic_error("no verdict for " + source);
}

retrain::GateConfig gate(int min_videos = 20) {
  retrain::GateConfig g;
  g.min_test_videos = min_videos;
  g.resamples = 400; // the shipped 1000 gives the same verdicts here, 2.5x slower
  return g;
}

const std::string kImagenet = "imagenet:0123";

std::string trigger_of(serve::Services& s, int64_t job) {
  auto conn = s.db->connect();
  SQLite::Statement q(*conn, "SELECT payload FROM jobs WHERE id = ? AND kind = 'model.retrain'");
  q.bind(1, job);
  return q.executeStep() ? nlohmann::json::parse(q.getColumn(0).getString()).value("trigger", "") : "";
}

} // namespace

TEST_CASE("the gate: identical scores are never a promotion, a clear improvement is", "[models]") {
  std::mt19937 rng(3);
  auto same = source_scores(rng, 30, 30, 0.3, 0.3);
  same.champion = same.candidate; // the champion's exact weights give the champion's exact scores
  const auto d = retrain::promotion_gate({{"ffpp", same}}, true, kImagenet, gate());
  INFO(d.to_json().dump(1));
  CHECK_FALSE(d.promote);
  const auto& v = verdict_of(d, "ffpp");
  CHECK(v.judged);
  CHECK(v.delta.value == 0);
  CHECK(v.delta.low == 0);
  CHECK(v.delta.high == 0);
  CHECK(v.verdict == retrain::Verdict::non_inferior);

  const auto better = retrain::promotion_gate({{"ffpp", source_scores(rng, 30, 30, 0.8, 0.05)}}, true, kImagenet, gate());
  INFO(better.to_json().dump(1));
  CHECK(better.promote);
  CHECK(verdict_of(better, "ffpp").verdict == retrain::Verdict::better);
  CHECK(verdict_of(better, "ffpp").delta.low > 0);
  CHECK(verdict_of(better, "ffpp").real_videos == 30);
  CHECK(verdict_of(better, "ffpp").frames == 240);
}

TEST_CASE("the gate refuses a candidate better on one source and significantly worse on another", "[models]") {
  std::mt19937 rng(4);
  const auto d = retrain::promotion_gate(
      {{"ffpp", source_scores(rng, 30, 30, 0.8, 0.05)}, {"youtube", source_scores(rng, 30, 30, 0.05, 0.8, 4, 1000)}}, true,
      kImagenet, gate());
  INFO(d.to_json().dump(1));
  CHECK_FALSE(d.promote);
  CHECK(verdict_of(d, "ffpp").verdict == retrain::Verdict::better);
  CHECK(verdict_of(d, "youtube").verdict == retrain::Verdict::worse);
  CHECK(d.summary.find("youtube") != std::string::npos);
}

TEST_CASE("the gate leaves sources with too few videos unjudged and never promotes on none", "[models]") {
  std::mt19937 rng(5);
  // One video per class in "tiny", however good the candidate looks there.
  const auto d = retrain::promotion_gate({{"tiny", source_scores(rng, 1, 1, 2.0, 0.0)}}, true, kImagenet, gate());
  CHECK_FALSE(d.promote);
  CHECK(verdict_of(d, "tiny").verdict == retrain::Verdict::unjudged);
  CHECK_FALSE(verdict_of(d, "tiny").judged);
  CHECK(d.summary.find("nothing can be judged") != std::string::npos);
  // A source too small to judge alone is still protected: pooled with the other small sources, a
  // collapse there blocks a judged improvement...
  const auto collapsed = retrain::promotion_gate(
      {{"ffpp", source_scores(rng, 25, 25, 0.8, 0.05)}, {"tiny", source_scores(rng, 8, 8, 0.0, 2.0, 4, 500)}}, true,
      kImagenet, gate());
  INFO(collapsed.to_json().dump(1));
  CHECK_FALSE(collapsed.promote);
  CHECK(verdict_of(collapsed, "tiny").verdict == retrain::Verdict::unjudged);
  REQUIRE(collapsed.small_sources);
  CHECK(collapsed.small_sources->verdict == retrain::Verdict::worse);
  CHECK(collapsed.summary.find("too small") != std::string::npos);
  // ... while a small source where both models score the same does not.
  auto even = source_scores(rng, 3, 15, 0.5, 0.5, 4, 500);
  even.champion = even.candidate;
  const auto mixed = retrain::promotion_gate({{"ffpp", source_scores(rng, 25, 25, 0.8, 0.05)}, {"tiny", even}}, true,
                                             kImagenet, gate());
  CHECK(mixed.promote);
  CHECK(verdict_of(mixed, "tiny").verdict == retrain::Verdict::unjudged);
  REQUIRE(mixed.small_sources);
  CHECK(mixed.small_sources->verdict == retrain::Verdict::non_inferior);
  // "all" is not a source.
  const auto with_all = retrain::promotion_gate({{"all", source_scores(rng, 30, 30, 0.8, 0.0)}}, true, kImagenet, gate());
  CHECK_FALSE(with_all.promote);
  CHECK(with_all.sources.empty());
}

TEST_CASE("the first model needs its AUC interval above the minimum on every judged source", "[models]") {
  std::mt19937 rng(6);
  auto g = gate();
  g.first_min_auc = 0.6;
  auto strong = source_scores(rng, 25, 25, 0.8, 0.0), weak = source_scores(rng, 25, 25, 0.02, 0.0, 4, 100);
  strong.champion.clear(), weak.champion.clear();
  CHECK(retrain::promotion_gate({{"ffpp", strong}}, false, kImagenet, g).promote);
  const auto low = retrain::promotion_gate({{"ffpp", strong}, {"dfdc", weak}}, false, kImagenet, g);
  INFO(low.to_json().dump(1));
  CHECK_FALSE(low.promote);
  CHECK(verdict_of(low, "dfdc").verdict == retrain::Verdict::below_minimum);
  CHECK(verdict_of(low, "ffpp").verdict == retrain::Verdict::passes_minimum);
}

TEST_CASE("a candidate trained from scratch is refused unless allowed", "[models]") {
  std::mt19937 rng(7);
  const auto scores = source_scores(rng, 30, 30, 0.8, 0.05);
  auto g = gate();
  const auto refused = retrain::promotion_gate({{"ffpp", scores}}, true, "scratch", g);
  CHECK_FALSE(refused.promote);
  CHECK(refused.summary.find("from scratch") != std::string::npos);
  CHECK(refused.init == "scratch");
  g.allow_scratch = true;
  CHECK(retrain::promotion_gate({{"ffpp", scores}}, true, "scratch", g).promote);
}

TEST_CASE("the gate refuses a candidate with non-finite scores instead of ranking them", "[models]") {
  std::mt19937 rng(8);
  auto scores = source_scores(rng, 25, 25, 0.5, 0.5);
  scores.candidate[7] = std::nan("");
  const auto d = retrain::promotion_gate({{"ffpp", scores}}, true, kImagenet, gate());
  CHECK_FALSE(d.promote);
  CHECK(d.summary.find("non-finite") != std::string::npos);
  scores.candidate[7] = 0.5, scores.champion[3] = INFINITY; // a broken champion is an error, not a verdict
  CHECK_THROWS_AS(retrain::promotion_gate({{"ffpp", scores}}, true, kImagenet, gate()), InvalidInput);
}

TEST_CASE("the gate's verdicts: better, non-inferior, inconclusive and worse from the same interval rules", "[models]") {
  // Two models of the same quality on 20 + 20 videos: every outcome but "better" is possible; each
  // verdict must follow from the interval, and a gain must never read as "worse".
  std::map<retrain::Verdict, int> seen;
  for (int seed = 0; seed < 40; ++seed) {
    std::mt19937 r(100 + seed);
    const auto d = retrain::promotion_gate({{"ffpp", source_scores(r, 20, 20, 0.3, 0.3)}}, true, kImagenet, gate());
    const auto& v = verdict_of(d, "ffpp");
    INFO(d.to_json().dump());
    seen[v.verdict] += 1;
    CHECK(v.units.real == 20);
    CHECK(v.units.fake == 20);
    if (v.verdict == retrain::Verdict::better) CHECK(v.p_value <= v.level);
    else if (v.delta.high < -0.02) CHECK(v.verdict == retrain::Verdict::worse);
    else if (v.delta.low >= -0.02) CHECK(v.verdict == retrain::Verdict::non_inferior);
    else CHECK(v.verdict == retrain::Verdict::inconclusive);
    if (v.delta.value > 0) CHECK(v.verdict != retrain::Verdict::worse);
    CHECK(d.promote == (v.verdict == retrain::Verdict::better));
  }
  CHECK(seen[retrain::Verdict::inconclusive] > 0);
  CHECK(seen[retrain::Verdict::non_inferior] + seen[retrain::Verdict::inconclusive] > 30);
}

TEST_CASE("looks at the test split make the next decision stricter", "[models]") {
  std::mt19937 rng(13);
  const auto scores = source_scores(rng, 30, 30, 0.45, 0.3);
  const auto first = retrain::promotion_gate({{"ffpp", scores}}, true, kImagenet, gate());
  const auto tenth = retrain::promotion_gate({{"ffpp", scores}}, true, kImagenet, gate(), {{"ffpp", 9}});
  CHECK(first.look == 1);
  CHECK(tenth.look == 10);
  CHECK(tenth.alpha_spent == Approx(first.alpha_spent / 100));
  CHECK(verdict_of(tenth, "ffpp").looks_before == 9);
  CHECK(verdict_of(tenth, "ffpp").level < verdict_of(first, "ffpp").level);
  CHECK(verdict_of(tenth, "ffpp").p_value == verdict_of(first, "ffpp").p_value);
}

TEST_CASE("gate properties over random paired score tables", "[models]") {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> sep(0.0, 1.0);
  std::uniform_int_distribution<int> videos(1, 30), n_sources(1, 3);
  auto g = gate(10);
  g.resamples = 200;
  int promoted = 0, refused = 0;
  for (int trial = 0; trial < 60; ++trial) {
    std::map<std::string, retrain::PairedScores> sources;
    for (int s = 0; s < n_sources(rng); ++s)
      sources["src" + std::to_string(s)] = source_scores(rng, videos(rng), videos(rng), sep(rng), sep(rng), 3, s * 1000);
    const auto d = retrain::promotion_gate(sources, true, kImagenet, g);
    INFO(d.to_json().dump());
    bool judged = false, blocked = false, better = false;
    for (const auto& v : d.sources) {
      REQUIRE(v.delta.low <= v.delta.value + 1e-12);
      REQUIRE(v.delta.value <= v.delta.high + 1e-12);
      CHECK(v.judged == (v.real_videos >= g.min_test_videos && v.fake_videos >= g.min_test_videos));
      if (!v.judged) continue;
      judged = true;
      CHECK((v.verdict == retrain::Verdict::worse) == (v.verdict != retrain::Verdict::better && v.delta.high < -g.tolerance));
      if (v.verdict == retrain::Verdict::better) CHECK(v.p_value <= v.level);
      blocked |= v.verdict == retrain::Verdict::worse;
      better |= v.verdict == retrain::Verdict::better;
    }
    blocked |= d.small_sources && d.small_sources->verdict == retrain::Verdict::worse;
    CHECK(d.promote == (judged && !blocked && better));
    (d.promote ? promoted : refused) += 1;
    // Swapping the models mirrors every interval: the gate is symmetric in what it measures.
    auto swapped = sources;
    for (auto& [name, s] : swapped) std::swap(s.candidate, s.champion);
    const auto m = retrain::promotion_gate(swapped, true, kImagenet, g);
    for (size_t i = 0; i < d.sources.size(); ++i) {
      CHECK(m.sources[i].delta.value == Approx(-d.sources[i].delta.value).margin(1e-12));
      CHECK(m.sources[i].delta.low == Approx(-d.sources[i].delta.high).margin(1e-12));
    }
    // The same input gives the same decision (seeded draws).
    CHECK(retrain::promotion_gate(sources, true, kImagenet, g).to_json() == d.to_json());
  }
  CHECK(promoted > 5); // both outcomes were exercised
  CHECK(refused > 5);
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
  for (int i = 0; i < 3; ++i) {
    test::FakeVideo v{"v" + std::to_string(i), "contributor", i == 1 ? "fake" : "real", {fx.face_of(i)}};
    if (i < 2) v.official_split = "test"; // a real and a fake test video: a round could promote
    fx.add(v);
  }
  dataset::refresh_splits(fx.db, fx.clock, {});
  auto config = core::Config::defaults(core::default_settings(), {{"data.dir", fx.dir.root().string()},
                                                                  {"scheduler.min_new_confirmed", "5"},
                                                                  {"scheduler.every_hours", "2"},
                                                                  {"promotion.min_test_videos", "1"},
                                                                  {"promotion.allow_scratch", "true"}});
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

TEST_CASE("training refuses a leaking snapshot and names the leak; a conflict unit only stays out", "[models]") {
  test::DatasetFixture fx;
  for (int p = 0; p < 12; ++p)
    for (const char* label : {"real", "fake"})
      fx.add({"p" + std::to_string(p) + label, "ffpp", label, {fx.face_of(p)}});
  dataset::refresh_splits(fx.db, fx.clock, {});
  // The same person's clip imported again under another source as an unrelated video, and assigned to
  // the other side (declared links removed, older settings): one person in two splits.
  std::string split;
  {
    auto conn = fx.db.connect();
    SQLite::Statement q(*conn, "SELECT d.split FROM dataset_videos d JOIN submissions s ON s.id = d.submission_id "
                               "WHERE s.blob_sha256 = 'p5real'");
    REQUIRE(q.executeStep());
    split = q.getColumn(0).getString();
  }
  const int64_t leak = fx.add({"p5-again", "youtube", "real", {fx.face_of(5)}});
  {
    auto conn = fx.db.connect();
    SQLite::Statement q(*conn, "INSERT INTO dataset_videos(submission_id, state, split, group_key, decision, "
                               "assigned_ms, updated_ms) VALUES (?, 'assigned', ?, 'g-older', 'rule', 0, 0)");
    q.bind(1, leak), q.bind(2, split == "test" ? "train" : "test");
    q.exec();
  }
  // The conflict unit (p5's videos) is kept out of the snapshot: reported, never blocking.
  dataset::refresh_splits(fx.db, fx.clock, {});
  const auto snap = dataset::create_snapshot(fx.db, fx.dir, fx.clock, {});
  auto items = dataset::read_manifest(snap.manifest);
  for (const auto& m : items) CHECK(m.video != leak);
  CHECK_NOTHROW(dataset::require_no_leaks(fx.db, snap.id, items, {}));
  // A snapshot that does hold one unit on two sides (a planner bug) is refused.
  REQUIRE_FALSE(items.empty());
  auto moved = items;
  auto twin = items.front();
  twin.split = twin.split == "test" ? "train" : "test";
  moved.push_back(twin);
  try {
    dataset::require_no_leaks(fx.db, snap.id, moved, {});
    FAIL("a leaking snapshot was accepted");
  } catch (const Conflict& e) {
    CHECK_THAT(e.what(), Catch::Contains("training refused"));
  }
}

TEST_CASE("a round whose process was killed stops counting as running once its heartbeat stops", "[models]") {
  test::DatasetFixture fx;
  retrain::RoundStore rounds(fx.db);
  const int64_t t0 = 1'800'000'000'000;
  const int64_t round = rounds.start("manual", t0); // e.g. `curator model round`, then SIGKILL
  CHECK(rounds.timing(t0 + 60'000).running);
  rounds.heartbeat(round, t0 + 100'000); // alive at 100 s
  CHECK(rounds.timing(t0 + 200'000).running);
  CHECK(rounds.list(1).at(0).state == "running");
  // No beat for longer than the lease: failed, and the scheduler may start the next round.
  const auto later = rounds.timing(t0 + 100'000 + retrain::RoundStore::kRoundLeaseMs + 1);
  CHECK_FALSE(later.running);
  const auto row = rounds.list(1).at(0);
  CHECK(row.state == "failed");
  CHECK(row.error.find("no heartbeat") != std::string::npos);
  CHECK(retrain::trigger_inputs(fx.db, t0 + 400'000).round_running == false);
}
