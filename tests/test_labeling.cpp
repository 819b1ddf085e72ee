// Accounts, sessions, the append-only audit log, rate limits and the review queue's rules, against a
// real SQLite database and a manual clock.
#include "core/error.hpp"
#include "labeling/accounts.hpp"
#include "labeling/audit_log.hpp"
#include "labeling/rate_limiter.hpp"
#include "labeling/review_queue.hpp"
#include "tests/support/dataset_fixture.hpp"

#include <SQLiteCpp/Statement.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

using namespace curator;
using labeling::Role;
using labeling::Verdict;

namespace {

struct Env {
  test::DatasetFixture fx;
  labeling::Accounts accounts{fx.db, fx.clock, labeling::PasswordCost::minimum()};
  labeling::User add(const std::string& name, Role role = Role::reviewer) {
    return accounts.add_user("test", name, role, "password-of-" + name);
  }
  int64_t video(const std::string& key, const std::string& claimed = "real", bool pending = true) {
    test::FakeVideo v;
    v.key = key;
    v.label = claimed;
    v.confirmed = !pending;
    return fx.add(v);
  }
  void owned_by(int64_t id, const labeling::User& u) {
    auto conn = fx.db.connect();
    SQLite::Statement q(*conn, "UPDATE submissions SET submitted_by = ? WHERE id = ?");
    q.bind(1, u.id), q.bind(2, id);
    q.exec();
  }
  int64_t audit_count(const std::string& action) {
    auto conn = fx.db.connect();
    SQLite::Statement q(*conn, "SELECT COUNT(*) FROM audit_log WHERE action = ?");
    q.bind(1, action);
    q.executeStep();
    return q.getColumn(0).getInt64();
  }
};

} // namespace

TEST_CASE("accounts: names, passwords, roles, sessions", "[labeling]") {
  Env env;
  const auto ann = env.add("ann", Role::admin);
  CHECK(ann.is_admin());
  CHECK_THROWS_AS(env.add("ann"), Conflict);
  CHECK_THROWS_AS(env.accounts.add_user("t", "Bad Name", Role::reviewer, "long-enough-pw"), InvalidInput);
  CHECK_THROWS_AS(env.accounts.add_user("t", "bob", Role::reviewer, "short"), InvalidInput);
  CHECK(env.accounts.authenticate("ann", "password-of-ann"));
  CHECK_FALSE(env.accounts.authenticate("ann", "wrong-password"));
  CHECK_FALSE(env.accounts.authenticate("nobody", "password-of-ann"));

  const auto s = env.accounts.open_session(ann, 60'000);
  REQUIRE(s.token.size() == 64);
  CHECK(s.csrf.size() == 64);
  CHECK(env.accounts.session(s.token)->user.username == "ann");
  CHECK_FALSE(env.accounts.session(std::string(64, 'a')));
  {
    // Only the token's hash is stored.
    auto conn = env.fx.db.connect();
    SQLite::Statement q(*conn, "SELECT COUNT(*) FROM sessions WHERE token_hash = ?");
    q.bind(1, s.token);
    q.executeStep();
    CHECK(q.getColumn(0).getInt() == 0);
  }
  env.fx.clock.advance_ms(60'001);
  CHECK_FALSE(env.accounts.session(s.token)); // expired

  const auto bob = env.add("bob");
  const auto b1 = env.accounts.open_session(bob, 60'000);
  env.accounts.set_password("ann", "bob", "a-new-password");
  CHECK_FALSE(env.accounts.session(b1.token)); // a new password ends sessions
  CHECK(env.accounts.authenticate("bob", "a-new-password"));
  const auto b2 = env.accounts.open_session(bob, 60'000);
  env.accounts.set_disabled("ann", "bob", true);
  CHECK_FALSE(env.accounts.session(b2.token));
  CHECK_FALSE(env.accounts.authenticate("bob", "a-new-password"));
  env.accounts.set_role("ann", "bob", Role::admin);
  CHECK(env.accounts.find("bob")->is_admin());
  CHECK(env.audit_count("user.add") == 2);
  CHECK(env.audit_count("user.disable") == 1);
  CHECK(env.audit_count("user.role") == 1);
  CHECK(env.audit_count("user.passwd") == 1);
}

TEST_CASE("the audit log is append-only and records submissions by itself", "[labeling]") {
  Env env;
  const int64_t id = env.video("v1");
  {
    auto conn = env.fx.db.connect();
    SQLite::Statement q(*conn, "UPDATE submissions SET state = 'rejected', reason = 'broken', updated_ms = 5 WHERE id = ?");
    q.bind(1, id);
    q.exec();
    CHECK_THROWS(conn->exec("UPDATE audit_log SET actor = 'someone else'"));
    CHECK_THROWS(conn->exec("DELETE FROM audit_log"));
  }
  const auto entries = labeling::list_audit(env.fx.db, 10, 0, "submission", std::to_string(id));
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].action == "submission.state");
  CHECK(entries[0].old_value == "done");
  CHECK(entries[0].new_value == "rejected: broken");
  CHECK(entries[1].action == "submission.create");
  CHECK(entries[1].actor == "anonymous");
}

TEST_CASE("rate limits count within a sliding window", "[labeling]") {
  core::ManualClock clock;
  labeling::RateLimiter limit(clock, 3, 1000);
  CHECK(limit.allow("a"));
  CHECK(limit.allow("a"));
  CHECK(limit.allow("a"));
  CHECK_FALSE(limit.allow("a"));
  CHECK(limit.allow("b")); // per key
  CHECK(limit.retry_after_ms("a") == 1000);
  clock.advance_ms(1000);
  CHECK(limit.allow("a"));
  limit.record("c"), limit.record("c"), limit.record("c");
  CHECK(limit.blocked("c"));
  limit.reset("c");
  CHECK_FALSE(limit.blocked("c"));
}

TEST_CASE("rate limits forget idle keys and stay bounded under a flood of new ones", "[labeling]") {
  core::ManualClock clock;
  labeling::RateLimiter limit(clock, 2, 1000, 5000);
  for (int i = 0; i < 3000; ++i) CHECK(limit.allow("addr-" + std::to_string(i)));
  CHECK(limit.keys() == 3000); // all within the window: all remembered
  clock.advance_ms(1001);
  for (int i = 0; i < 3000; ++i) limit.allow("late-" + std::to_string(i));
  CHECK(limit.keys() <= 3000 + 1024); // the expired keys were swept as the map grew
  CHECK(limit.keys() >= 3000);
  // A flood inside one window: never more than the cap, and the newest keys keep their counts.
  for (int i = 0; i < 20000; ++i) limit.record("flood-" + std::to_string(i));
  CHECK(limit.keys() <= 5000);
  limit.record("flood-19999");
  CHECK(limit.blocked("flood-19999"));
  // Forgetting never lifts a limit early: an active key blocked before a sweep is still blocked after it.
  labeling::RateLimiter small(clock, 1, 1000, 10);
  CHECK(small.allow("hammer"));
  for (int i = 0; i < 5; ++i) small.allow("other-" + std::to_string(i));
  CHECK_FALSE(small.allow("hammer"));
}

TEST_CASE("one reviewer decides by default; rejects need a reason; nobody reviews their own", "[labeling]") {
  Env env;
  const auto rita = env.add("rita"), sam = env.add("sam");
  labeling::ReviewQueue q(env.fx.db, env.fx.clock, {1, 1});
  const int64_t a = env.video("a"), b = env.video("b", "fake"), c = env.video("c");
  env.owned_by(c, rita);

  REQUIRE(q.next(rita)->submission_id == a); // oldest first (no model scores yet)
  CHECK_THROWS_AS(q.decide(rita, c, Verdict::real, ""), Forbidden);
  CHECK_THROWS_AS(q.decide(rita, a, Verdict::reject, ""), InvalidInput);
  auto item = q.decide(rita, a, Verdict::real, "");
  CHECK(item.state == labeling::ReviewState::confirmed);
  CHECK(item.label == "real");
  CHECK_THROWS_AS(q.decide(sam, a, Verdict::fake, ""), Conflict); // already decided

  // Skip: passes the item on, decides nothing.
  CHECK(q.decide(rita, b, Verdict::skip, "").state == labeling::ReviewState::pending);
  CHECK_FALSE(q.next(rita)); // b skipped, c her own
  CHECK(q.next(sam)->submission_id == b);
  item = q.decide(sam, b, Verdict::reject, "a slideshow, not a video");
  CHECK(item.state == labeling::ReviewState::rejected);
  CHECK(item.reason == "a slideshow, not a video");
  CHECK(q.decide(sam, c, Verdict::fake, "").label == "fake");
  CHECK(env.audit_count("review.decide") == 4);
  CHECK(env.audit_count("review.state") == 3);
}

TEST_CASE("k of n consensus; disagreement escalates to an admin; admins reopen", "[labeling]") {
  Env env;
  const auto r1 = env.add("r1"), r2 = env.add("r2"), r3 = env.add("r3"), boss = env.add("boss", Role::admin);
  labeling::ReviewQueue q(env.fx.db, env.fx.clock, {2, 3});
  const int64_t a = env.video("a"), b = env.video("b");

  CHECK(q.decide(r1, a, Verdict::real, "").state == labeling::ReviewState::pending);
  CHECK(q.decide(r2, a, Verdict::fake, "").state == labeling::ReviewState::pending); // 1-1: a third answer is needed
  auto item = q.decide(r3, a, Verdict::real, "");
  CHECK(item.state == labeling::ReviewState::confirmed); // 2 of 3 agree
  CHECK(item.label == "real");
  CHECK(item.decisions.size() == 3);

  q.decide(r1, b, Verdict::real, "");
  q.decide(r2, b, Verdict::fake, "");
  item = q.decide(r3, b, Verdict::reject, "blurry");
  CHECK(item.state == labeling::ReviewState::escalated);
  CHECK_THAT(item.reason, Catch::Contains("disagree"));
  CHECK_FALSE(q.next(r1)); // reviewers no longer see it
  CHECK(q.next(boss)->submission_id == b); // admins see escalated items first
  CHECK_THROWS_AS(q.decide(r1, b, Verdict::real, ""), Forbidden);
  item = q.decide(boss, b, Verdict::reject, "both faces are cartoons");
  CHECK(item.state == labeling::ReviewState::rejected);

  CHECK_THROWS_AS(q.reopen(r1, b, ""), Forbidden);
  item = q.reopen(boss, b, "looked again: usable");
  CHECK(item.state == labeling::ReviewState::pending);
  CHECK(item.round == 2);
  CHECK(item.decisions.empty()); // earlier answers no longer count
  CHECK(q.next(r1)->submission_id == b); // r1 may answer again in the new round
  CHECK_THROWS_AS(q.reopen(boss, b, ""), Conflict);
  CHECK(env.audit_count("review.reopen") == 1);
}

TEST_CASE("items where the claim and the model disagree most come first", "[labeling]") {
  Env env;
  const auto rita = env.add("rita");
  labeling::ReviewQueue q(env.fx.db, env.fx.clock, {1, 1});
  const int64_t oldest = env.video("oldest", "real");
  env.fx.clock.advance_ms(10);
  const int64_t agree = env.video("agree", "fake");
  const int64_t clash = env.video("clash", "real");
  const int64_t mild = env.video("mild", "real");
  q.set_model_score(agree, 0.95); // claimed fake, model says fake: |1 - 0.95| = 0.05
  q.set_model_score(clash, 0.9);  // claimed real, model says fake: 0.9
  q.set_model_score(mild, 0.4);   // 0.4
  std::vector<int64_t> order;
  while (auto next = q.next(rita)) {
    order.push_back(next->submission_id);
    q.decide(rita, next->submission_id, Verdict::skip, "");
  }
  CHECK(order == std::vector<int64_t>{clash, mild, agree, oldest}); // unscored after scored
}

TEST_CASE("a random share of new items is served first, in random order, and marked as random intake", "[labeling]") {
  Env env;
  const auto rita = env.add("rita");
  labeling::ReviewQueue q(env.fx.db, env.fx.clock, {1, 1});
  std::vector<int64_t> ids;
  {
    for (int i = 0; i < 200; ++i) ids.push_back(env.video("v" + std::to_string(i), "real"));
    auto conn = env.fx.db.connect();
    conn->exec("DELETE FROM review_items");
    for (int64_t id : ids) {
      ingest::Submission s;
      s.id = id;
      labeling::ReviewQueue::open_item(*conn, s, 1000, 0.2);
    }
  }
  // The champion strongly doubts every ranked candidate: it would put them first if it chose.
  std::set<int64_t> random;
  for (int64_t id : ids) {
    const auto item = q.get(id);
    CHECK((item.intake == "random" || item.intake == "ranked"));
    if (item.intake == "random") random.insert(id);
    else q.set_model_score(id, 0.99);
  }
  INFO(random.size() << " of 200 random");
  CHECK(random.size() >= 25);
  CHECK(random.size() <= 55);
  std::vector<int64_t> served;
  for (size_t i = 0; i < random.size() + 5; ++i) {
    const auto next = q.next(rita);
    REQUIRE(next);
    served.push_back(next->submission_id);
    q.decide(rita, next->submission_id, Verdict::skip, "");
  }
  for (size_t i = 0; i < served.size(); ++i) CHECK(random.count(served[i]) == (i < random.size() ? 1u : 0u));
  // Random order: not by id, and the same for every reader (a stable draw per item).
  CHECK_FALSE(std::is_sorted(served.begin(), served.begin() + static_cast<long>(random.size())));
  CHECK(q.get(served.front()).to_json()["intake"] == "random");
}
