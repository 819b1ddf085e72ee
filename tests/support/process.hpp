#pragma once
// Child processes for tests that run the real binaries: spawn with extra environment, output captured
// to files, wait with a deadline, signal. No shell is involved.
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace curator::test {

class Process {
public:
  /// Starts argv[0] with the current environment plus `env`; stdout and stderr go to `log_prefix`.out/.err.
  Process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
          const std::filesystem::path& log_prefix);
  ~Process(); // SIGKILLs a child that is still running

  pid_t pid() const { return pid_; }
  void signal(int sig) const;
  /// The exit code (or 128 + signal) once it ended, nullopt at the deadline (`timeout` times time_scale()).
  std::optional<int> wait(std::chrono::milliseconds timeout);
  std::string stdout_text() const;
  std::string stderr_text() const;

private:
  pid_t pid_ = -1;
  std::optional<int> exit_;
  std::filesystem::path out_, err_;
};

struct RunResult {
  int exit_code;
  std::string out;
  std::string err;
};

/// CURATOR_TEST_TIME_SCALE (at least 1; 1 when unset): sanitizer builds run several times slower, so every
/// deadline for a child process is stretched by it (docs/testing.md).
int time_scale();

/// Runs to completion (60 s deadline, times time_scale()) and returns its exit code and output.
RunResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
              const std::filesystem::path& work_dir);

/// Polls `predicate` every 20 ms until it holds or `timeout` passes.
template <typename Pred> bool eventually(Pred predicate, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    struct timespec ts{0, 20'000'000};
    nanosleep(&ts, nullptr);
  }
  return predicate();
}

std::string read_file(const std::filesystem::path& file);

} // namespace curator::test
