// Test host: the real serve::Daemon on a data folder, plus one job kind that records what it does, so
// crash tests can SIGKILL a daemon in the middle of a job and check what a restart makes of it.
//   curator_test_daemon_host DATA_DIR EVENTS_FILE
// Job kind "test.record", payload {"block_attempts": N}: appends "start <id> <attempt>" to EVENTS_FILE;
// attempts <= N then block until shutdown; later attempts append "done <id>" and finish.
#include "core/allocator.hpp"
#include "core/config.hpp"
#include "core/stop_signals.hpp"
#include "serve/daemon.hpp"

#include <fstream>
#include <iostream>
#include <thread>

using namespace curator;

int main(int argc, char** argv) {
  curator::core::tune_allocator(); // before any thread starts
  if (argc != 3) {
    std::cerr << "usage: curator_test_daemon_host DATA_DIR EVENTS_FILE\n";
    return 2;
  }
  const std::string events = argv[2];
  auto append = [&events](const std::string& line) {
    std::ofstream out(events, std::ios::app);
    out << line << "\n";
    out.flush();
  };
  core::StopSignals stop_signals;

  auto config = core::Config::defaults(core::default_settings(), {{"data.dir", argv[1]},
                                                                  {"server.port", "0"},
                                                                  {"jobs.workers", "2"},
                                                                  {"jobs.lease_seconds", "1"},
                                                                  {"jobs.poll_interval_ms", "20"},
                                                                  {"jobs.shutdown_grace_seconds", "2"}});
  serve::DaemonOptions options;
  options.extra_job_kinds.push_back({"test.record", [append](const core::Job& job, core::JobContext& ctx) {
                                       append("start " + std::to_string(job.id) + " " + std::to_string(job.attempts));
                                       if (job.attempts <= job.payload.value("block_attempts", 0)) {
                                         while (true) {
                                           ctx.check_cancelled();
                                           std::this_thread::sleep_for(std::chrono::milliseconds(10));
                                         }
                                       }
                                       append("done " + std::to_string(job.id));
                                       return nlohmann::json{{"attempt", job.attempts}};
                                     }});
  serve::Daemon daemon(config, std::move(options));
  daemon.start();
  stop_signals.wait();
  return daemon.stop("signal") ? 0 : 3;
}
