// `curator worker` beside `curator serve`: a serve with no job threads queues, worker processes run the
// jobs, a worker killed mid-job loses nothing (its lease expires and another worker finishes the job),
// and the workers table shows who runs what.
#include "core/config.hpp"
#include "core/job_kinds.hpp"
#include "core/job_queue.hpp"
#include "core/settings.hpp"
#include "core/worker_registry.hpp"
#include "ingest/ingest_service.hpp"
#include "serve/daemon.hpp"
#include "serve/job_host.hpp"
#include "serve/status_report.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

#include <catch2/catch.hpp>

#include <csignal>

using namespace curator;
using namespace std::chrono_literals;

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::optional<core::JobRecord> ingest_job_of(core::JobQueue& jobs, int64_t submission) {
  for (const auto& j : jobs.list(std::nullopt, 200))
    if (j.kind == core::jobs::kIngestVideo.name && j.payload.value("submission", int64_t{0}) == submission) return j;
  return std::nullopt;
}

} // namespace

TEST_CASE("worker kinds: groups expand, unknown names are refused", "[workers]") {
  CHECK(serve::JobHost::expand_kinds({"score", "train"}) ==
        std::vector<std::string>{"model.retrain", "review.score", "score.video"});
  CHECK(serve::JobHost::expand_kinds({"ingest", "ingest.video"}) ==
        std::vector<std::string>{"blob.forget", "ingest.fetch", "ingest.video"});
  CHECK(serve::JobHost::expand_kinds({}).empty()); // every kind
  CHECK_THROWS_WITH(serve::JobHost::expand_kinds({"ingset"}), Catch::Contains("unknown job kind 'ingset'"));
}

TEST_CASE("a serve without job threads and worker processes: a killed worker's job is finished by another",
          "[workers]") {
  CURATOR_SHARED_DATA(data);
  test::TempDir tmp("curator-workers");
  const auto data_dir = tmp.path() / "data";
  const std::vector<std::pair<std::string, std::string>> settings = {
      {"data.dir", data_dir.string()},
      {"server.port", "0"},
      {"jobs.workers", "0"}, // the web tier alone; the workers run with --threads
      {"jobs.lease_seconds", "2"},
      {"jobs.backoff_base_seconds", "0"},
      {"ingest.sample_frames", "8"},
      {"faces.models_dir", test::required_env_path("CURATOR_MODELS_DIR").string()}};
  const core::Config config = core::Config::defaults(core::default_settings(), settings);
  serve::Daemon daemon(config);
  daemon.start();
  auto worker = [&](const std::string& name) {
    std::vector<std::string> argv{test::required_env_path("CURATOR_BIN").string(), "worker", "--threads", "1"};
    for (const auto& [key, value] : settings) argv.insert(argv.end(), {"--set", key + "=" + value});
    argv.insert(argv.end(), {"--set", "torch.threads=1", "--set", "log.level=info"});
    return std::make_unique<test::Process>(argv, std::map<std::string, std::string>{}, tmp.path() / name);
  };

  ingest::SubmissionMeta meta;
  meta.label = ingest::Label::real;
  meta.source = "lab";
  const auto first = daemon.ingest().submit_file(data / "video/retalking/1.mp4", meta, "test");
  auto one = worker("worker1");
  // The worker leases the job: kill it while it holds it (its face models load first: seconds).
  REQUIRE(test::eventually([&] {
    const auto j = ingest_job_of(daemon.jobs(), first.id);
    return j && j->state == core::JobState::leased;
  }, 60s));
  one->signal(SIGKILL);
  REQUIRE(one->wait(10s).has_value());
  const auto second = daemon.ingest().submit_file(data / "video/lipnet/bbaf2n.mpg", meta, "test");
  auto two = worker("worker2");
  auto finished = [&](int64_t id) {
    const auto s = daemon.ingest().submissions().get(id);
    return s && (s->state == ingest::SubmissionState::done || s->state == ingest::SubmissionState::rejected);
  };
  REQUIRE(test::eventually([&] { return finished(first.id) && finished(second.id); }, 120s));
  INFO(two->stderr_text());
  CHECK(daemon.ingest().submissions().get(first.id)->state == ingest::SubmissionState::done);
  CHECK(daemon.ingest().submissions().get(second.id)->state == ingest::SubmissionState::done);
  const auto job = ingest_job_of(daemon.jobs(), first.id);
  REQUIRE(job);
  CHECK(job->state == core::JobState::done);
  CHECK(job->attempts == 2); // the killed worker's attempt, then the second worker's

  // The workers table: the killed one is gone (no heartbeat, no recorded stop), the other runs (its next
  // heartbeat is at most a third of the lease away: looked at until both hold, on a loaded machine too).
  std::vector<core::WorkerRecord> listed;
  REQUIRE(test::eventually([&] {
    listed = core::WorkerRegistry(daemon.database()).list(now_ms(), 2000);
    return listed.size() == 2 && listed[0].alive && !listed[1].alive;
  }, 20s));
  REQUIRE(listed.size() == 2); // a serve without job threads is not listed
  CHECK(listed[0].alive);
  CHECK(listed[0].pid == two->pid());
  CHECK(std::find(listed[0].kinds.begin(), listed[0].kinds.end(), "ingest.video") != listed[0].kinds.end());
  CHECK_FALSE(listed[1].alive);
  CHECK(listed[1].pid == one->pid());
  CHECK_FALSE(listed[1].stopped_ms.has_value());
  CHECK(serve::status_report(config, false)["database"]["workers"].size() == 2);

  // SIGTERM: the worker records its stop.
  two->signal(SIGTERM);
  REQUIRE(two->wait(30s) == 0);
  const auto after = core::WorkerRegistry(daemon.database()).list(now_ms(), 2000);
  REQUIRE(after.size() == 2);
  CHECK_FALSE(after[0].alive);
  CHECK(after[0].stopped_ms.has_value());
  daemon.stop("test");
}
