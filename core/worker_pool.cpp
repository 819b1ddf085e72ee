#include "core/worker_pool.hpp"

#include "core/logging.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace curator::core {

namespace {

// Runs `f` on a new thread that ends when it returns; its exception, if any, is rethrown here.
nlohmann::json on_own_thread(const std::function<nlohmann::json()>& f) {
  nlohmann::json result;
  std::exception_ptr error;
  std::thread t([&] {
    try {
      result = f();
    } catch (...) {
      error = std::current_exception();
    }
  });
  t.join();
  if (error) std::rethrow_exception(error);
  return result;
}

} // namespace

WorkerPool::WorkerPool(JobQueue& queue, WorkerPoolOptions options) : queue_(queue), options_(std::move(options)) {
  listener_ = queue_.add_listener([this] { notify(); });
}

WorkerPool::~WorkerPool() {
  queue_.remove_listener(listener_);
  if (running_) stop(std::chrono::milliseconds(0));
  if (!wait_idle(std::chrono::seconds(60))) {
    logger("jobs")->error("handlers still running when the worker pool is destroyed; their threads are detached");
    for (auto& t : stragglers_) t.detach();
  }
}

bool WorkerPool::wait_idle(std::chrono::milliseconds limit) {
  {
    std::unique_lock lock(mutex_);
    if (!idle_.wait_for(lock, limit, [this] { return in_flight_.empty(); })) return false;
  }
  for (auto& t : stragglers_) t.join();
  stragglers_.clear();
  return true;
}

void WorkerPool::register_kind(const std::string& kind, JobHandler handler) {
  if (running_) throw std::logic_error("register job kinds before starting the pool");
  handlers_[kind] = std::move(handler);
}

std::vector<std::string> WorkerPool::kinds() const {
  std::vector<std::string> out;
  const auto& only = options_.only_kinds;
  for (const auto& [kind, _] : handlers_)
    if (only.empty() || std::find(only.begin(), only.end(), kind) != only.end()) out.push_back(kind);
  return out;
}

std::vector<int64_t> WorkerPool::running_jobs() {
  std::lock_guard lock(mutex_);
  std::vector<int64_t> out;
  for (const auto& [id, _] : in_flight_) out.push_back(id);
  return out;
}

void WorkerPool::start() {
  if (running_) return;
  stopping_ = false;
  running_ = true;
  for (int i = 0; i < options_.workers; ++i) threads_.emplace_back([this, i] { worker_loop(i); });
  if (options_.workers > 0) heartbeat_thread_ = std::thread([this] { heartbeat_loop(); });
  logger("jobs")->info("worker pool started: {} workers, {} job kinds", options_.workers, handlers_.size());
}

void WorkerPool::notify() {
  {
    std::lock_guard lock(mutex_);
    ++posted_;
  }
  wake_.notify_all();
}

bool WorkerPool::stop(std::chrono::milliseconds grace) {
  if (!running_) return true;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  bool finished;
  {
    std::unique_lock lock(mutex_);
    finished = idle_.wait_for(lock, grace, [this] { return in_flight_.empty(); });
    if (!finished) {
      abandoned_ = true;
      // Stragglers keep running, but their jobs go back to the queue now; their late completion is
      // refused because the lease token no longer matches.
      for (auto& [id, running] : in_flight_) {
        queue_.release(running.job);
        logger("jobs")->warn("job {} ({}) did not stop within the grace period; lease released", id,
                             running.job.kind);
      }
    }
  }
  for (auto& t : threads_) {
    if (finished) t.join();
    else stragglers_.push_back(std::move(t)); // joined by wait_idle() or the destructor
  }
  threads_.clear();
  wake_.notify_all();
  if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
  running_ = false;
  logger("jobs")->info("worker pool stopped{}", finished ? "" : " (some handlers abandoned)");
  return finished;
}

void WorkerPool::worker_loop(int index) {
  const std::string owner = options_.owner + "/" + std::to_string(index);
  const std::vector<std::string> kinds = this->kinds();
  auto log = logger("jobs");
  while (!stopping_) {
    if (kinds.empty()) { // nothing to run: an empty kind list would lease every kind
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_.load(); });
      break;
    }
    uint64_t seen = 0;
    {
      std::lock_guard lock(mutex_);
      seen = posted_; // work posted after this wakes the wait below, even before it starts
    }
    std::optional<Job> job;
    try {
      job = queue_.lease(owner, kinds);
    } catch (const std::exception& e) {
      log->error("lease failed: {}", e.what());
    }
    if (!job) {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, options_.poll_interval, [&] { return stopping_.load() || posted_ != seen; });
      continue;
    }
    run_one(*job, owner);
  }
}

void WorkerPool::run_one(const Job& job, const std::string& owner) {
  auto log = logger("jobs");
  auto context = std::make_shared<JobContext>(stopping_);
  {
    std::lock_guard lock(mutex_);
    in_flight_[job.id] = Running{job, context, std::chrono::steady_clock::now()};
  }
  ++busy_;
  log->info("job {} ({}) started, attempt {}/{} by {}", job.id, job.kind, job.attempts, job.max_attempts, owner);
  try {
    nlohmann::json result = on_own_thread([&] { return handlers_.at(job.kind)(job, *context); });
    if (queue_.complete(job, result)) log->info("job {} ({}) done", job.id, job.kind);
    else log->warn("job {} ({}) finished but its lease was lost; result discarded", job.id, job.kind);
  } catch (const JobCancelled&) {
    queue_.release(job);
    log->info("job {} ({}) released on shutdown", job.id, job.kind);
  } catch (const PermanentJobError& e) {
    queue_.fail_permanently(job, e.what());
    log->error("job {} ({}) failed permanently: {}", job.id, job.kind, e.what());
  } catch (const std::exception& e) {
    try {
      FailOutcome outcome = queue_.fail(job, e.what());
      log->warn("job {} ({}) failed: {} ({})", job.id, job.kind, e.what(),
                outcome == FailOutcome::dead ? "dead letter" : "will retry");
    } catch (const std::exception& inner) {
      log->error("job {} ({}) failed ({}) and recording the failure failed too: {}", job.id, job.kind, e.what(),
                 inner.what()); // the lease will expire and the job runs again
    }
  }
  --busy_;
  std::lock_guard lock(mutex_);
  in_flight_.erase(job.id);
  idle_.notify_all();
}

void WorkerPool::heartbeat_loop() {
  auto log = logger("jobs");
  std::unique_lock lock(mutex_);
  auto done = [this] { return stopping_ && (in_flight_.empty() || abandoned_); };
  const auto tick = std::min(options_.heartbeat_interval, options_.watch_interval);
  auto next_beat = std::chrono::steady_clock::now() + options_.heartbeat_interval;
  while (!done()) {
    wake_.wait_for(lock, tick);
    if (done()) break;
    std::vector<Running> snapshot;
    for (auto& [id, running] : in_flight_) snapshot.push_back(running);
    lock.unlock();
    check_limits(snapshot);
    if (std::chrono::steady_clock::now() >= next_beat) {
      next_beat = std::chrono::steady_clock::now() + options_.heartbeat_interval;
      for (auto& running : snapshot) {
        try {
          if (!queue_.heartbeat(running.job)) {
            running.context->mark_lease_lost();
            log->warn("job {} lost its lease", running.job.id);
          }
        } catch (const std::exception& e) {
          log->error("heartbeat for job {} failed: {}", running.job.id, e.what());
        }
      }
    }
    lock.lock();
  }
}

void WorkerPool::check_limits(const std::vector<Running>& running) const {
  const auto& limits = options_.limits;
  if (running.empty() || limits.per_kind.empty()) return;
  const auto now = std::chrono::steady_clock::now();
  const uint64_t rss = limits.max_rss_bytes > 0 ? resident_bytes() : 0;
  for (const auto& r : running) {
    const auto limit = limits.of(r.job.kind);
    if (!limit) continue;
    if (limit->max_time.count() > 0 && now - r.started > limit->max_time) {
      if (r.context->mark_over_limit("stopped: ran longer than its time limit of " +
                                     std::to_string(limit->max_time.count()) + " s"))
        logger("jobs")->warn("job {} ({}) is over its time limit", r.job.id, r.job.kind);
    } else if (limit->memory_capped && rss > limits.max_rss_bytes) {
      if (r.context->mark_over_limit("stopped: the daemon's memory (" + std::to_string(rss >> 20) +
                                     " MB) went over its cap of " + std::to_string(limits.max_rss_bytes >> 20) + " MB"))
        logger("jobs")->warn("job {} ({}) stopped: resident memory {} MB over the cap", r.job.id, r.job.kind, rss >> 20);
    }
  }
}

} // namespace curator::core
