#pragma once
//! A pool of threads that lease jobs from a JobQueue and run the handler registered for their kind.
//! A heartbeat thread keeps the leases of running jobs alive. On stop(), workers lease nothing new,
//! running handlers see JobContext::stopping() and should return or throw JobCancelled (the job is
//! released, not failed); handlers still running after the grace period get their leases released so
//! the next start re-runs them at once (the process should then exit: abandoned handler threads still
//! reference the pool). Register kinds before start(); start/stop from one thread.
//! Each handler call runs on a thread of its own that ends with the call, so per-thread state of the
//! libraries it uses does not outlive the job: LibTorch's OpenMP backend keeps a thread team for every
//! thread that ran a parallel operation, for that thread's life, and once the teams hold more threads
//! than there are cores every team stops spin-waiting between operations, which slows models made of
//! many small operations (the face nets) several times.
//! Limits (core/job_limits.hpp): a watch thread checks every running job's time, and for memory-capped
//! kinds the process's resident memory, every watch_interval; a job over a limit sees stopping() and its
//! next check_cancelled() throws JobLimitExceeded, which fails it for good with the reason.
#include "core/job_limits.hpp"
#include "core/job_queue.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace curator::core {

/// Thrown by a handler that stops early on shutdown; the job is released, not counted as failed.
struct JobCancelled : std::runtime_error {
  JobCancelled() : std::runtime_error("job cancelled by shutdown") {}
};
/// Thrown by a handler whose input can never succeed: no retry, straight to dead.
struct PermanentJobError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Thrown by JobContext::check_cancelled() in a job that went over its time or memory limit: no retry.
struct JobLimitExceeded : PermanentJobError {
  using PermanentJobError::PermanentJobError;
};

/// A running job's view of its pool. Thread-safe: the pool's threads mark it, the handler's threads read it.
class JobContext {
public:
  explicit JobContext(const std::atomic<bool>& stopping) : stopping_(stopping) {}
  /// True when the handler should stop: shutdown, a lost lease, or a limit reached.
  bool stopping() const { return stopping_.load() || lease_lost_.load() || over_limit_.load(); }
  /// Throws JobLimitExceeded when a limit was reached, JobCancelled when the pool is stopping or the lease
  /// was lost.
  void check_cancelled() const {
    if (over_limit_.load()) {
      std::lock_guard lock(mutex_);
      throw JobLimitExceeded(limit_reason_);
    }
    if (stopping()) throw JobCancelled();
  }
  void mark_lease_lost() { lease_lost_ = true; }
  /// The first reason given wins; true for that first call.
  bool mark_over_limit(const std::string& reason) {
    std::lock_guard lock(mutex_);
    if (over_limit_.load()) return false;
    limit_reason_ = reason;
    over_limit_ = true;
    return true;
  }

private:
  const std::atomic<bool>& stopping_;
  std::atomic<bool> lease_lost_{false};
  std::atomic<bool> over_limit_{false};
  mutable std::mutex mutex_;
  std::string limit_reason_; // guarded by mutex_
};

/// Returns the job's result (stored as JSON). Any other exception fails the attempt (retry with backoff).
using JobHandler = std::function<nlohmann::json(const Job&, JobContext&)>;

struct WorkerPoolOptions {
  int workers = 2;
  std::chrono::milliseconds poll_interval{500};
  std::chrono::milliseconds heartbeat_interval{20'000};
  std::string owner = "worker"; ///< prefix of lease owner names (e.g. host:pid)
  JobLimits limits;             ///< none by default
  /// When not empty, the pool leases only these of its registered kinds (`curator worker --kinds`).
  std::vector<std::string> only_kinds;
  std::chrono::milliseconds watch_interval{1000}; ///< how often running jobs are checked against `limits`
};

class WorkerPool {
public:
  WorkerPool(JobQueue& queue, WorkerPoolOptions options);
  ~WorkerPool();

  void register_kind(const std::string& kind, JobHandler handler);
  /// The kinds this pool leases: those registered, narrowed by WorkerPoolOptions::only_kinds.
  std::vector<std::string> kinds() const;
  /// The ids of the jobs running now.
  std::vector<int64_t> running_jobs();

  void start();
  /// Returns true when every running handler finished within `grace`.
  bool stop(std::chrono::milliseconds grace);
  /// Wakes idle workers. Called on every enqueue through the pool's queue, so work posted in this
  /// process starts at once rather than after a poll interval.
  void notify();

  /// Waits until no handler runs, including stragglers a stop() gave up on, and joins their threads.
  /// False when some still run after `limit`. Not concurrent with start() or stop().
  bool wait_idle(std::chrono::milliseconds limit);

  bool running() const { return running_.load(); }
  int busy() const { return busy_.load(); }

private:
  struct Running {
    Job job;
    std::shared_ptr<JobContext> context;
    std::chrono::steady_clock::time_point started;
  };
  void worker_loop(int index);
  void heartbeat_loop();
  void check_limits(const std::vector<Running>& running) const;
  void run_one(const Job& job, const std::string& owner);

  JobQueue& queue_;
  int listener_ = -1;
  WorkerPoolOptions options_;
  std::map<std::string, JobHandler> handlers_;
  std::vector<std::thread> threads_;
  std::vector<std::thread> stragglers_; // workers whose handler outlived stop()'s grace period
  std::thread heartbeat_thread_;
  std::atomic<bool> running_{false};
  std::atomic<bool> stopping_{false};
  bool abandoned_ = false; // guarded by mutex_: stop() gave up waiting for handlers
  std::atomic<int> busy_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  uint64_t posted_ = 0; // guarded by mutex_: notify() calls so far
  std::condition_variable idle_; // signalled when a handler finishes
  std::map<int64_t, Running> in_flight_;
};

} // namespace curator::core
