#include "core/clock.hpp"
#include "core/database.hpp"
#include "core/job_queue.hpp"
#include "core/migrations.hpp"
#include "core/worker_pool.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

using namespace curator;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  test::TempDir dir;
  core::Database db{dir / "c.db", 30000};
  core::SystemClock clock;
  core::RetryPolicy policy = [] {
    core::RetryPolicy p;
    p.max_attempts = 2;
    p.backoff_base_s = 0;
    p.lease_ms = 5'000;
    return p;
  }();
  core::JobQueue queue{db, clock, policy};
  core::WorkerPoolOptions options = [] {
    core::WorkerPoolOptions o;
    o.workers = 2;
    o.poll_interval = 10ms;
    o.heartbeat_interval = 50ms;
    return o;
  }();
  Fixture() {
    auto conn = db.connect();
    core::migrate(*conn);
  }
  core::JobState state(int64_t id) { return queue.get(id)->state; }
};

} // namespace

TEST_CASE("the pool runs registered kinds and records results and failures", "[jobs]") {
  Fixture f;
  core::WorkerPool pool(f.queue, f.options);
  std::atomic<int> flaky_calls{0};
  pool.register_kind("double", [](const core::Job& job, core::JobContext&) {
    return nlohmann::json{{"out", job.payload["x"].get<int>() * 2}};
  });
  pool.register_kind("flaky", [&](const core::Job&, core::JobContext&) -> nlohmann::json {
    if (++flaky_calls == 1) throw std::runtime_error("transient");
    return {{"ok", true}};
  });
  pool.register_kind("hopeless", [](const core::Job&, core::JobContext&) -> nlohmann::json {
    throw core::PermanentJobError("unreadable input");
  });
  int64_t a = f.queue.enqueue({"double", {{"x", 21}}});
  int64_t b = f.queue.enqueue({"flaky"});
  int64_t c = f.queue.enqueue({"hopeless"});
  int64_t d = f.queue.enqueue({"unregistered"});
  pool.start();
  REQUIRE(test::eventually([&] { return f.state(a) == core::JobState::done && f.state(b) == core::JobState::done &&
                                        f.state(c) == core::JobState::dead; },
                           10s));
  CHECK(pool.stop(1s));
  CHECK(nlohmann::json::parse(*f.queue.get(a)->result)["out"] == 42);
  CHECK(f.queue.get(b)->attempts == 2);
  CHECK(*f.queue.get(c)->last_error == "unreadable input");
  CHECK(f.queue.get(c)->attempts == 1);
  CHECK(f.state(d) == core::JobState::queued); // no handler here: left for a binary that has one
}

TEST_CASE("heartbeats keep a long job's lease alive", "[jobs]") {
  Fixture f;
  core::ManualClock clock; // the queue's time: lease periods pass when the handler says so
  f.policy.lease_ms = 500;
  core::JobQueue queue(f.db, clock, f.policy);
  f.options.heartbeat_interval = 10ms;
  core::WorkerPool pool(queue, f.options);
  std::atomic<int> runs{0};
  std::atomic<bool> renewed_every_time{true};
  pool.register_kind("slow", [&](const core::Job& job, core::JobContext&) {
    ++runs;
    // Three lease periods, half a period at a time; each time a heartbeat must renew the lease before
    // it runs out (a lease ends lease_ms after its last renewal).
    for (int step = 0; step < 6 && renewed_every_time; ++step) {
      clock.advance_ms(250);
      renewed_every_time = test::eventually(
          [&] { return queue.get(job.id)->lease_expires_ms == clock.now_ms() + 500; }, 10s);
    }
    return nlohmann::json::object();
  });
  int64_t id = queue.enqueue({"slow"});
  pool.start();
  REQUIRE(test::eventually([&] { return queue.get(id)->state == core::JobState::done; }, 60s));
  pool.stop(1s);
  CHECK(renewed_every_time);
  CHECK(runs == 1); // never leased to the second worker
  CHECK(queue.get(id)->attempts == 1);
}

TEST_CASE("work enqueued while the workers idle starts at once, not after a poll interval", "[jobs]") {
  Fixture f;
  f.options.poll_interval = 30s;
  core::WorkerPool pool(f.queue, f.options);
  pool.register_kind("quick", [](const core::Job&, core::JobContext&) { return nlohmann::json::object(); });
  pool.start();
  const int64_t first = f.queue.enqueue({"quick"});
  REQUIRE(test::eventually([&] { return f.state(first) == core::JobState::done; }, 20s));
  // The workers found the queue empty and sleep for up to 30 s unless an enqueue wakes them.
  const auto posted = std::chrono::steady_clock::now();
  const int64_t second = f.queue.enqueue({"quick"});
  REQUIRE(test::eventually([&] { return f.state(second) == core::JobState::done; }, 20s));
  CHECK(std::chrono::steady_clock::now() - posted < 5s);
  CHECK(pool.stop(1s));
}

TEST_CASE("graceful stop releases cancelled jobs, and stragglers' leases after the grace period", "[jobs]") {
  Fixture f;
  core::WorkerPool pool(f.queue, f.options);
  std::atomic<bool> cooperative_started{false}, stubborn_started{false}, let_go{false};
  pool.register_kind("cooperative", [&](const core::Job&, core::JobContext& ctx) -> nlohmann::json {
    cooperative_started = true;
    while (true) {
      ctx.check_cancelled();
      std::this_thread::sleep_for(5ms);
    }
  });
  pool.register_kind("stubborn", [&](const core::Job&, core::JobContext&) {
    stubborn_started = true;
    while (!let_go) std::this_thread::sleep_for(5ms);
    return nlohmann::json::object();
  });
  int64_t coop = f.queue.enqueue({"cooperative"});
  int64_t stub = f.queue.enqueue({"stubborn"});
  pool.start();
  REQUIRE(test::eventually([&] { return cooperative_started && stubborn_started; }, 10s));
  CHECK_FALSE(pool.stop(300ms));
  auto c = f.queue.get(coop);
  CHECK(c->state == core::JobState::queued);
  CHECK(c->attempts == 0); // cancellation is not a failed attempt
  auto s = f.queue.get(stub);
  CHECK(s->state == core::JobState::queued);
  let_go = true; // the abandoned handler returns; its completion must be refused
  REQUIRE(pool.wait_idle(10s)); // the straggler has tried to complete and its thread is joined
  CHECK(f.queue.get(stub)->state == core::JobState::queued);
  CHECK(f.queue.get(stub)->attempts == 0); // released: the attempt does not count, and the late completion changed nothing
}

namespace {
// Set when a job thread's thread-local state is destroyed: the thread that ran the job has ended.
std::atomic<int> job_threads_ended{0};
struct ThreadEndMarker {
  bool touched = false;
  ~ThreadEndMarker() {
    if (touched) ++job_threads_ended;
  }
};
thread_local ThreadEndMarker marker;
} // namespace

TEST_CASE("each job runs on a thread that ends with it, so its thread-local state does not outlive it", "[jobs]") {
  Fixture f;
  auto options = f.options;
  options.workers = 1;
  core::WorkerPool pool(f.queue, options);
  pool.register_kind("touch", [](const core::Job&, core::JobContext&) {
    marker.touched = true; // as LibTorch's OpenMP team would be created on first use
    return nlohmann::json{{"thread_ended_before", job_threads_ended.load()}};
  });
  job_threads_ended = 0;
  const int64_t a = f.queue.enqueue({"touch"});
  pool.start();
  REQUIRE(test::eventually([&] { return f.state(a) == core::JobState::done; }, 10s));
  // The worker is alive and waiting for the next job, yet the job's thread has already ended.
  CHECK(job_threads_ended.load() == 1);
  const int64_t b = f.queue.enqueue({"touch"});
  REQUIRE(test::eventually([&] { return f.state(b) == core::JobState::done; }, 10s));
  CHECK(job_threads_ended.load() == 2);
  CHECK(pool.stop(1s));
  CHECK(nlohmann::json::parse(*f.queue.get(b)->result)["thread_ended_before"] == 1);
}

TEST_CASE("a job over its time limit fails for good with the reason; other kinds run unbounded", "[jobs]") {
  Fixture f;
  f.options.watch_interval = 20ms;
  f.options.limits.per_kind["endless"] = {1s, false};
  core::WorkerPool pool(f.queue, f.options);
  std::atomic<int> endless_runs{0};
  pool.register_kind("endless", [&](const core::Job&, core::JobContext& ctx) -> nlohmann::json {
    ++endless_runs;
    while (true) {
      ctx.check_cancelled();
      std::this_thread::sleep_for(5ms);
    }
  });
  pool.register_kind("patient", [](const core::Job&, core::JobContext& ctx) {
    const auto until = std::chrono::steady_clock::now() + 1500ms; // longer than the other kind's limit
    while (std::chrono::steady_clock::now() < until) {
      ctx.check_cancelled();
      std::this_thread::sleep_for(5ms);
    }
    return nlohmann::json{{"ok", true}};
  });
  const auto started = std::chrono::steady_clock::now();
  const int64_t endless = f.queue.enqueue({"endless"});
  const int64_t patient = f.queue.enqueue({"patient"});
  pool.start();
  REQUIRE(test::eventually([&] { return f.state(endless) == core::JobState::dead; }, 20s));
  CHECK(std::chrono::steady_clock::now() - started < 10s);
  CHECK_THAT(*f.queue.get(endless)->last_error, Catch::Contains("time limit of 1 s"));
  CHECK(endless_runs == 1); // not retried: the same job would run out again
  REQUIRE(test::eventually([&] { return f.state(patient) == core::JobState::done; }, 20s));
  CHECK(pool.stop(1s));
}

TEST_CASE("jobs of memory-capped kinds stop while the process is over its memory cap", "[jobs]") {
  Fixture f;
  const uint64_t before = core::resident_bytes();
  REQUIRE(before > 0);
  f.options.watch_interval = 20ms;
  f.options.limits.max_rss_bytes = before + (64u << 20);
  f.options.limits.per_kind["decode"] = {0s, true};
  f.options.limits.per_kind["train"] = {0s, false};
  f.options.workers = 1; // one at a time: the second kind runs when the first has given its memory back
  core::WorkerPool pool(f.queue, f.options);
  auto hog = [](core::JobContext& ctx) {
    std::vector<std::unique_ptr<char[]>> blocks;
    for (int mb = 0; mb < 512; mb += 16) { // grows 16 MB at a time, touching every page
      blocks.emplace_back(new char[16u << 20]);
      std::memset(blocks.back().get(), 1, 16u << 20);
      ctx.check_cancelled();
      std::this_thread::sleep_for(10ms);
    }
    // Held a moment at the top, where the watch sees it.
    for (int i = 0; i < 20; ++i) {
      ctx.check_cancelled();
      std::this_thread::sleep_for(10ms);
    }
    return nlohmann::json{{"held_mb", 512}};
  };
  pool.register_kind("decode", [&](const core::Job&, core::JobContext& ctx) { return hog(ctx); });
  pool.register_kind("train", [&](const core::Job&, core::JobContext& ctx) { return hog(ctx); });
  const int64_t decode = f.queue.enqueue({"decode"});
  pool.start();
  REQUIRE(test::eventually([&] { return f.state(decode) == core::JobState::dead; }, 30s));
  CHECK_THAT(*f.queue.get(decode)->last_error, Catch::Contains("over its cap"));
  const int64_t train = f.queue.enqueue({"train"}); // not capped: the same growth completes
  REQUIRE(test::eventually([&] { return f.state(train) == core::JobState::done; }, 30s));
  CHECK(pool.stop(1s));
}
