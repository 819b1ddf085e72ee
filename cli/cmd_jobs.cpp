#include "cli/app_config.hpp"
#include "cli/commands.hpp"
#include "core/clock.hpp"
#include "core/data_dir.hpp"
#include "core/database.hpp"
#include "core/error.hpp"
#include "core/job_queue.hpp"
#include "core/migrations.hpp"
#include "core/setting_keys.hpp"

#include <iostream>
#include <memory>

namespace curator::cli {

namespace {

struct JobsFlags {
  std::string state;
  int limit = 50;
  bool json = false;
  int64_t id = 0;
};

// The queue as the operator sees it; refuses to touch a database at another schema version.
struct QueueHandle {
  core::SystemClock clock;
  std::unique_ptr<core::Database> db;
  std::unique_ptr<core::JobQueue> queue;
  explicit QueueHandle(const core::Config& config) {
    core::DataDir dir(config.get(core::keys::data_dir));
    if (!std::filesystem::exists(dir.database()))
      throw NotFound("no database at " + dir.database().string() + " (run `curator migrate`)");
    db = std::make_unique<core::Database>(dir.database(), static_cast<int>(config.get(core::keys::db_busy_timeout_ms)));
    auto conn = db->connect();
    core::require_current_schema(*conn);
    queue = std::make_unique<core::JobQueue>(*db, clock, core::RetryPolicy{});
  }
};

} // namespace

void add_jobs_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<DataOptions>();
  auto flags = std::make_shared<JobsFlags>();
  auto* cmd = app.add_subcommand("jobs", "Inspect the durable job queue and requeue dead jobs.");
  cmd->require_subcommand(1);

  auto* list = cmd->add_subcommand("list", "List recent jobs, newest first");
  add_data_options(*list, *options);
  list->add_option("--state", flags->state, "Only jobs in this state: queued, leased, done, dead");
  list->add_option("--limit", flags->limit, "At most this many")->check(CLI::Range(1, 10000));
  list->add_flag("--json", flags->json, "One JSON object a line");
  list->callback([options, flags, &exit_code] {
    QueueHandle h(load_config(*options));
    std::optional<core::JobState> state;
    if (!flags->state.empty()) state = core::parse_job_state(flags->state);
    for (const auto& job : h.queue->list(state, flags->limit)) {
      if (flags->json) {
        std::cout << job.to_json().dump() << "\n";
      } else {
        std::cout << job.id << "\t" << job.kind << "\t" << core::job_state_name(job.state) << "\tattempts "
                  << job.attempts << "/" << job.max_attempts;
        if (job.last_error) std::cout << "\t" << *job.last_error;
        std::cout << "\n";
      }
    }
    exit_code = 0;
  });

  auto* retry = cmd->add_subcommand("retry", "Queue a dead job again with a fresh attempt budget");
  add_data_options(*retry, *options);
  retry->add_option("id", flags->id, "Job id")->required();
  retry->callback([options, flags, &exit_code] {
    QueueHandle h(load_config(*options));
    h.queue->requeue(flags->id);
    std::cout << "job " << flags->id << " queued again\n";
    exit_code = 0;
  });
}

} // namespace curator::cli
