#include "core/clock.hpp"
#include "core/database.hpp"
#include "core/error.hpp"
#include "core/job_queue.hpp"
#include "core/migrations.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

using namespace curator;

namespace {

struct Fixture {
  test::TempDir dir;
  core::Database db{dir / "c.db", 30000};
  core::ManualClock clock;
  core::RetryPolicy policy = [] {
    core::RetryPolicy p;
    p.max_attempts = 3;
    p.backoff_base_s = 2;
    p.backoff_max_s = 5;
    p.lease_ms = 10'000;
    return p;
  }();
  core::JobQueue queue{db, clock, policy};
  Fixture() {
    auto conn = db.connect();
    core::migrate(*conn);
  }
};

} // namespace

TEST_CASE("enqueue, lease, complete", "[jobs]") {
  Fixture f;
  int64_t id = f.queue.enqueue({"ingest", {{"video", 7}}});
  auto job = f.queue.lease("w1");
  REQUIRE(job);
  CHECK(job->id == id);
  CHECK(job->payload["video"] == 7);
  CHECK(job->attempts == 1);
  CHECK_FALSE(f.queue.lease("w2")); // leased jobs are not handed out twice
  CHECK(f.queue.complete(*job, {{"faces", 3}}));
  CHECK_FALSE(f.queue.complete(*job)); // only once
  auto rec = f.queue.get(id);
  CHECK(rec->state == core::JobState::done);
  CHECK(nlohmann::json::parse(*rec->result)["faces"] == 3);
}

TEST_CASE("dedupe keys make enqueue idempotent", "[jobs]") {
  Fixture f;
  core::JobSpec spec{"ingest", {{"v", 1}}, std::string("video:1")};
  int64_t a = f.queue.enqueue(spec);
  int64_t b = f.queue.enqueue(spec);
  CHECK(a == b);
  CHECK(f.queue.list(std::nullopt, 10).size() == 1);
}

TEST_CASE("kinds filter, priority and delay order the leases", "[jobs]") {
  Fixture f;
  int64_t low = f.queue.enqueue({"a", {}, std::nullopt, 0});
  int64_t high = f.queue.enqueue({"a", {}, std::nullopt, 5});
  core::JobSpec later{"a"};
  later.priority = 10;
  later.delay_ms = 1000;
  int64_t delayed = f.queue.enqueue(later);
  f.queue.enqueue({"b"});
  CHECK(f.queue.lease("w", {"a"})->id == high);
  CHECK(f.queue.lease("w", {"a"})->id == low);
  CHECK_FALSE(f.queue.lease("w", {"a"}));
  f.clock.advance_ms(1000);
  CHECK(f.queue.lease("w", {"a"})->id == delayed);
  CHECK(f.queue.lease("w", {"b"})->kind == "b");
}

TEST_CASE("an expired lease is leased again and the old holder loses it", "[jobs]") {
  Fixture f;
  int64_t id = f.queue.enqueue({"k"});
  auto first = f.queue.lease("dead-worker");
  REQUIRE(first);
  f.clock.advance_ms(9'000);
  CHECK(f.queue.heartbeat(*first)); // extends to now + 10 s
  f.clock.advance_ms(9'000);
  CHECK_FALSE(f.queue.lease("w2")); // still alive thanks to the heartbeat
  f.clock.advance_ms(1'001);
  auto second = f.queue.lease("w2");
  REQUIRE(second);
  CHECK(second->id == id);
  CHECK(second->attempts == 2);
  CHECK_FALSE(f.queue.heartbeat(*first));
  CHECK_FALSE(f.queue.complete(*first));
  CHECK(f.queue.fail(*first, "late") == core::FailOutcome::lease_lost);
  CHECK(f.queue.complete(*second));
}

TEST_CASE("failures retry with backoff, then dead letter", "[jobs]") {
  Fixture f;
  int64_t id = f.queue.enqueue({"k"});
  auto j1 = f.queue.lease("w");
  CHECK(f.queue.fail(*j1, "boom 1") == core::FailOutcome::retry_scheduled);
  CHECK_FALSE(f.queue.lease("w")); // backoff 2 s
  f.clock.advance_ms(1'999);
  CHECK_FALSE(f.queue.lease("w"));
  f.clock.advance_ms(1);
  auto j2 = f.queue.lease("w");
  REQUIRE(j2);
  CHECK(j2->attempts == 2);
  CHECK(f.queue.fail(*j2, "boom 2") == core::FailOutcome::retry_scheduled);
  f.clock.advance_ms(3'999); // backoff 4 s
  CHECK_FALSE(f.queue.lease("w"));
  f.clock.advance_ms(1);
  auto j3 = f.queue.lease("w");
  REQUIRE(j3);
  CHECK(f.queue.fail(*j3, "boom 3") == core::FailOutcome::dead);
  f.clock.advance_ms(1'000'000);
  CHECK_FALSE(f.queue.lease("w"));
  auto rec = f.queue.get(id);
  CHECK(rec->state == core::JobState::dead);
  CHECK(*rec->last_error == "boom 3");
  CHECK(rec->attempts == 3);

  f.queue.requeue(id); // operator action
  auto again = f.queue.lease("w");
  REQUIRE(again);
  CHECK(again->attempts == 1);
  CHECK_THROWS_AS(f.queue.requeue(id), Conflict);
  CHECK_THROWS_AS(f.queue.requeue(12345), NotFound);
}

TEST_CASE("backoff is capped", "[jobs]") {
  core::RetryPolicy p;
  p.backoff_base_s = 2;
  p.backoff_max_s = 5;
  CHECK(p.backoff_ms(1) == 2000);
  CHECK(p.backoff_ms(2) == 4000);
  CHECK(p.backoff_ms(3) == 5000);
  CHECK(p.backoff_ms(30) == 5000);
}

TEST_CASE("a worker that dies on the last attempt sends the job to dead letter", "[jobs]") {
  Fixture f;
  core::JobSpec spec{"k"};
  spec.max_attempts = 1;
  int64_t id = f.queue.enqueue(spec);
  REQUIRE(f.queue.lease("w"));
  f.clock.advance_ms(10'001);
  CHECK_FALSE(f.queue.lease("w"));
  auto rec = f.queue.get(id);
  CHECK(rec->state == core::JobState::dead);
  CHECK_THAT(*rec->last_error, Catch::Contains("lease expired"));
}

TEST_CASE("release gives a job back without spending an attempt", "[jobs]") {
  Fixture f;
  f.queue.enqueue({"k"});
  auto j = f.queue.lease("w");
  CHECK(f.queue.release(*j));
  auto again = f.queue.lease("w");
  REQUIRE(again);
  CHECK(again->attempts == 1);
  CHECK(f.queue.fail_permanently(*again, "bad input") == core::FailOutcome::dead);
}

TEST_CASE("8 threads x 1000 jobs: each completed exactly once", "[jobs]") {
  Fixture f;
  constexpr int kJobs = 8000;
  {
    auto conn = f.db.connect();
    core::WriteTransaction txn(*conn);
    for (int i = 0; i < kJobs; ++i) f.queue.enqueue(*conn, {"bulk", {{"i", i}}});
    txn.commit();
  }
  std::mutex mutex;
  std::vector<int64_t> completed;
  std::atomic<int> lost{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::vector<int64_t> mine;
      while (auto job = f.queue.lease("t" + std::to_string(t))) {
        if (f.queue.complete(*job)) mine.push_back(job->id);
        else ++lost;
      }
      std::lock_guard lock(mutex);
      completed.insert(completed.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  CHECK(lost == 0);
  REQUIRE(completed.size() == kJobs);
  std::set<int64_t> unique(completed.begin(), completed.end());
  CHECK(unique.size() == kJobs);
  auto counts = f.queue.counts();
  REQUIRE(counts.size() == 1);
  CHECK(counts[0].state == core::JobState::done);
  CHECK(counts[0].count == kJobs);
}
