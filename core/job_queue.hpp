#pragma once
//! Durable job queue in SQLite. Delivery is at-least-once: a job is leased for a limited time, kept alive
//! by heartbeats, and leased again when its lease expires (its worker died). Handlers must therefore be
//! idempotent. Completion, failure, heartbeat and release only take effect for the current lease token,
//! so a worker that lost its lease can never complete a job that someone else now holds.
//! Failures retry with exponential backoff until max_attempts, then the job is "dead" (dead letter) with
//! its last error kept; an operator may requeue it. Thread-safe; every call is one short transaction.
#include "core/clock.hpp"
#include "core/database.hpp"
#include "core/job_kinds.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace curator::core {

enum class JobState { queued, leased, done, dead };
const char* job_state_name(JobState state);
JobState parse_job_state(const std::string& text);

struct JobSpec {
  std::string kind;
  nlohmann::json payload = nlohmann::json::object();
  std::optional<std::string> dedupe_key; ///< same key again returns the existing job
  int priority = 0;                      ///< higher first
  std::optional<int> max_attempts;       ///< default from RetryPolicy
  int64_t delay_ms = 0;

  /// A job of a named kind at that kind's priority.
  static JobSpec of(const jobs::Kind& kind, nlohmann::json payload = nlohmann::json::object(),
                    std::optional<std::string> dedupe_key = std::nullopt) {
    return {kind.name, std::move(payload), std::move(dedupe_key), kind.priority, std::nullopt, 0};
  }
};

/// A leased job as handed to a worker.
struct Job {
  int64_t id = 0;
  std::string kind;
  nlohmann::json payload;
  int attempts = 0; ///< including this one
  int max_attempts = 0;
  std::string lease_token;
};

/// A job row as stored, for status pages and operators.
struct JobRecord {
  int64_t id = 0;
  std::string kind;
  JobState state = JobState::queued;
  int attempts = 0;
  int max_attempts = 0;
  int64_t run_at_ms = 0;
  std::optional<int64_t> lease_expires_ms; ///< while leased
  std::optional<std::string> last_error;
  std::optional<std::string> result;
  nlohmann::json payload;           ///< as enqueued; not part of to_json (it may hold access key hashes)
  nlohmann::json to_json() const;
};

struct JobCount {
  std::string kind;
  JobState state;
  int64_t count;
};

struct RetryPolicy {
  int max_attempts = 5;
  double backoff_base_s = 2;
  double backoff_max_s = 600;
  int64_t lease_ms = 60'000;
  /// Delay before the next try after `attempts` failed attempts: base * 2^(attempts-1), capped.
  int64_t backoff_ms(int attempts) const;
};

enum class FailOutcome { retry_scheduled, dead, lease_lost };

class JobQueue {
public:
  JobQueue(Database& db, const Clock& clock, RetryPolicy policy);

  int64_t enqueue(const JobSpec& spec);
  /// Enqueues inside the caller's transaction, so a job is created together with the rows it serves.
  int64_t enqueue(SQLite::Database& conn, const JobSpec& spec);

  /// Leases the most urgent due job of one of `kinds` (all kinds when empty). Also moves jobs whose
  /// lease expired with no attempts left to dead.
  std::optional<Job> lease(const std::string& owner, const std::vector<std::string>& kinds = {});

  bool heartbeat(const Job& job);
  bool complete(const Job& job, const nlohmann::json& result = nlohmann::json::object());
  FailOutcome fail(const Job& job, const std::string& error);
  /// Fails without retry (the input can never succeed).
  FailOutcome fail_permanently(const Job& job, const std::string& error);
  /// Gives the job back unfinished (graceful shutdown): queued again at once, this attempt not counted.
  bool release(const Job& job);

  /// Operator action: a dead job is queued again with a fresh attempt budget.
  void requeue(int64_t id);

  std::optional<JobRecord> get(int64_t id);
  std::vector<JobRecord> list(std::optional<JobState> state, int limit);
  std::vector<JobCount> counts();
  static std::vector<JobCount> counts(SQLite::Database& conn);

  /// Whether a job of `kind` is queued or leased.
  bool has_pending(const std::string& kind);
  /// Whether a queued or leased job of `kind` has `value` as the string field `field` of its payload.
  bool has_unfinished_with(const std::string& kind, const std::string& field, const std::string& value);
  static bool has_pending(SQLite::Database& conn, const std::string& kind);
  /// The state of the job enqueued with `dedupe_key`, if there is one.
  std::optional<JobState> state_by_key(const std::string& dedupe_key);
  static std::optional<JobState> state_by_key(SQLite::Database& conn, const std::string& dedupe_key);

  /// Dead jobs whose dedupe key starts with `prefix`: (key, last error).
  std::vector<std::pair<std::string, std::string>> dead_by_key_prefix(const std::string& prefix);

  /// Calls `listener` after every enqueue through this queue (for an enqueue inside a caller's
  /// transaction: before that commits, so a listener must tolerate not seeing the job yet). Returns a
  /// handle for remove_listener. Listeners must be quick and must not enqueue.
  int add_listener(std::function<void()> listener);
  void remove_listener(int handle);

  const RetryPolicy& policy() const { return policy_; }

private:
  FailOutcome fail_impl(const Job& job, const std::string& error, bool retry);
  void tell_listeners();

  Database& db_;
  const Clock& clock_;
  RetryPolicy policy_;
  std::mutex listeners_mutex_;
  std::map<int, std::function<void()>> listeners_;
  int next_listener_ = 0;
};

} // namespace curator::core
