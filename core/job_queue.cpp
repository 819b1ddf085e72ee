#include "core/job_queue.hpp"

#include "core/enum_names.hpp"
#include "core/error.hpp"
#include "core/sodium.hpp"

#include <SQLiteCpp/Statement.h>

#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace curator::core {

namespace {

std::string new_token() {
  unsigned char bytes[16];
  randombytes_buf(bytes, sizeof bytes);
  char hex[sizeof bytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return hex;
}

std::optional<std::string> optional_text(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}

JobRecord read_record(SQLite::Statement& q) {
  JobRecord r;
  r.id = q.getColumn("id").getInt64();
  r.kind = q.getColumn("kind").getString();
  r.state = parse_job_state(q.getColumn("state").getString());
  r.attempts = q.getColumn("attempts").getInt();
  r.max_attempts = q.getColumn("max_attempts").getInt();
  r.run_at_ms = q.getColumn("run_at_ms").getInt64();
  if (const auto c = q.getColumn("lease_expires_ms"); !c.isNull()) r.lease_expires_ms = c.getInt64();
  r.last_error = optional_text(q.getColumn("last_error"));
  r.result = optional_text(q.getColumn("result"));
  r.payload = nlohmann::json::parse(q.getColumn("payload").getString(), nullptr, false);
  return r;
}

constexpr const char* kRecordColumns =
    "id, kind, state, attempts, max_attempts, run_at_ms, lease_expires_ms, last_error, result, payload";

} // namespace

constexpr EnumNames<JobState, 4> kJobStates{
    "job state", {{{JobState::queued, "queued"}, {JobState::leased, "leased"}, {JobState::done, "done"}, {JobState::dead, "dead"}}}};

const char* job_state_name(JobState state) { return kJobStates.name(state); }
JobState parse_job_state(const std::string& text) { return kJobStates.parse(text); }

nlohmann::json JobRecord::to_json() const {
  nlohmann::json j = {{"id", id},           {"kind", kind},           {"state", job_state_name(state)},
                      {"attempts", attempts}, {"max_attempts", max_attempts}, {"run_at_ms", run_at_ms}};
  j["last_error"] = last_error ? nlohmann::json(*last_error) : nlohmann::json();
  j["result"] = result ? nlohmann::json::parse(*result, nullptr, false) : nlohmann::json();
  return j;
}

int64_t RetryPolicy::backoff_ms(int attempts) const {
  double s = backoff_base_s * std::pow(2.0, std::max(0, attempts - 1));
  return static_cast<int64_t>(std::min(s, backoff_max_s) * 1000.0);
}

JobQueue::JobQueue(Database& db, const Clock& clock, RetryPolicy policy)
    : db_(db), clock_(clock), policy_(policy) {
  ensure_sodium();
}

int64_t JobQueue::enqueue(const JobSpec& spec) {
  auto conn = db_.connect();
  WriteTransaction txn(*conn);
  int64_t id = enqueue(*conn, spec);
  txn.commit();
  return id;
}

int64_t JobQueue::enqueue(SQLite::Database& conn, const JobSpec& spec) {
  if (spec.kind.empty()) throw InvalidInput("job kind is empty");
  if (spec.dedupe_key) {
    SQLite::Statement q(conn, "SELECT id FROM jobs WHERE dedupe_key = ?");
    q.bind(1, *spec.dedupe_key);
    if (q.executeStep()) return q.getColumn(0).getInt64();
  }
  const int64_t now = clock_.now_ms();
  SQLite::Statement ins(conn, "INSERT INTO jobs(kind, payload, dedupe_key, priority, max_attempts, run_at_ms, "
                              "created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  ins.bind(1, spec.kind);
  ins.bind(2, spec.payload.dump());
  if (spec.dedupe_key) ins.bind(3, *spec.dedupe_key);
  else ins.bind(3);
  ins.bind(4, spec.priority);
  ins.bind(5, spec.max_attempts.value_or(policy_.max_attempts));
  ins.bind(6, now + std::max<int64_t>(0, spec.delay_ms));
  ins.bind(7, now);
  ins.bind(8, now);
  ins.exec();
  const int64_t id = conn.getLastInsertRowid();
  tell_listeners();
  return id;
}

bool JobQueue::has_pending(const std::string& kind) {
  auto conn = db_.connect();
  return has_pending(*conn, kind);
}

bool JobQueue::has_pending(SQLite::Database& conn, const std::string& kind) {
  SQLite::Statement q(conn, "SELECT 1 FROM jobs WHERE kind = ? AND state IN ('queued', 'leased') LIMIT 1");
  q.bind(1, kind);
  return q.executeStep();
}

bool JobQueue::has_unfinished_with(const std::string& kind, const std::string& field, const std::string& value) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "SELECT 1 FROM jobs WHERE kind = ? AND state IN ('queued', 'leased') "
                             "AND json_extract(payload, '$.' || ?) = ? LIMIT 1");
  q.bind(1, kind), q.bind(2, field), q.bind(3, value);
  return q.executeStep();
}

std::optional<JobState> JobQueue::state_by_key(const std::string& dedupe_key) {
  auto conn = db_.connect();
  return state_by_key(*conn, dedupe_key);
}

std::optional<JobState> JobQueue::state_by_key(SQLite::Database& conn, const std::string& dedupe_key) {
  SQLite::Statement q(conn, "SELECT state FROM jobs WHERE dedupe_key = ?");
  q.bind(1, dedupe_key);
  if (!q.executeStep()) return std::nullopt;
  return parse_job_state(q.getColumn(0).getString());
}

std::vector<std::pair<std::string, std::string>> JobQueue::dead_by_key_prefix(const std::string& prefix) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "SELECT dedupe_key, COALESCE(last_error, '') AS last_error FROM jobs WHERE state = 'dead' "
                             "AND substr(dedupe_key, 1, length(?1)) = ?1");
  q.bind(1, prefix);
  std::vector<std::pair<std::string, std::string>> out;
  while (q.executeStep()) out.emplace_back(q.getColumn("dedupe_key").getString(), q.getColumn("last_error").getString());
  return out;
}

int JobQueue::add_listener(std::function<void()> listener) {
  std::lock_guard lock(listeners_mutex_);
  listeners_[next_listener_] = std::move(listener);
  return next_listener_++;
}

void JobQueue::remove_listener(int handle) {
  std::lock_guard lock(listeners_mutex_);
  listeners_.erase(handle);
}

void JobQueue::tell_listeners() {
  std::lock_guard lock(listeners_mutex_);
  for (auto& [handle, listener] : listeners_) listener();
}

std::optional<Job> JobQueue::lease(const std::string& owner, const std::vector<std::string>& kinds) {
  const int64_t now = clock_.now_ms();
  std::string kind_filter;
  if (!kinds.empty()) {
    kind_filter = " AND kind IN (";
    for (size_t i = 0; i < kinds.size(); ++i) kind_filter += i ? ",?" : "?";
    kind_filter += ")";
  }
  auto conn = db_.connect();
  WriteTransaction txn(*conn);
  // A job whose worker died on its last attempt must not run again: dead letter.
  SQLite::Statement reap(*conn, "UPDATE jobs SET state = 'dead', lease_token = NULL, finished_ms = ?1, "
                                "updated_ms = ?1, last_error = 'lease expired on the last attempt (worker died?)'"
                                " WHERE state = 'leased' AND lease_expires_ms <= ?1 AND attempts >= max_attempts");
  reap.bind(1, now);
  reap.exec();

  std::string sql = "UPDATE jobs SET state = 'leased', attempts = attempts + 1, lease_token = ?1, lease_owner = ?2,"
                    " lease_expires_ms = ?3 + ?4, updated_ms = ?3 WHERE id = (SELECT id FROM jobs WHERE"
                    " ((state = 'queued' AND run_at_ms <= ?3) OR (state = 'leased' AND lease_expires_ms <= ?3))" +
                    kind_filter +
                    " ORDER BY priority DESC, run_at_ms, id LIMIT 1)"
                    " RETURNING id, kind, payload, attempts, max_attempts";
  SQLite::Statement q(*conn, sql);
  const std::string token = new_token();
  q.bind(1, token);
  q.bind(2, owner);
  q.bind(3, now);
  q.bind(4, policy_.lease_ms);
  for (size_t i = 0; i < kinds.size(); ++i) q.bind(static_cast<int>(5 + i), kinds[i]);
  std::optional<Job> job;
  if (q.executeStep()) {
    Job j;
    j.id = q.getColumn("id").getInt64();
    j.kind = q.getColumn("kind").getString();
    j.payload = nlohmann::json::parse(q.getColumn("payload").getString(), nullptr, false);
    j.attempts = q.getColumn("attempts").getInt();
    j.max_attempts = q.getColumn("max_attempts").getInt();
    j.lease_token = token;
    job = std::move(j);
  }
  q.reset();
  txn.commit();
  return job;
}

bool JobQueue::heartbeat(const Job& job) {
  const int64_t now = clock_.now_ms();
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "UPDATE jobs SET lease_expires_ms = ?1, updated_ms = ?2 "
                             "WHERE id = ?3 AND state = 'leased' AND lease_token = ?4");
  q.bind(1, now + policy_.lease_ms);
  q.bind(2, now);
  q.bind(3, job.id);
  q.bind(4, job.lease_token);
  return q.exec() == 1;
}

bool JobQueue::complete(const Job& job, const nlohmann::json& result) {
  const int64_t now = clock_.now_ms();
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "UPDATE jobs SET state = 'done', result = ?1, lease_token = NULL, finished_ms = ?2,"
                             " updated_ms = ?2 WHERE id = ?3 AND state = 'leased' AND lease_token = ?4");
  q.bind(1, result.dump());
  q.bind(2, now);
  q.bind(3, job.id);
  q.bind(4, job.lease_token);
  return q.exec() == 1;
}

FailOutcome JobQueue::fail(const Job& job, const std::string& error) { return fail_impl(job, error, true); }

FailOutcome JobQueue::fail_permanently(const Job& job, const std::string& error) {
  return fail_impl(job, error, false);
}

FailOutcome JobQueue::fail_impl(const Job& job, const std::string& error, bool retry) {
  const int64_t now = clock_.now_ms();
  auto conn = db_.connect();
  WriteTransaction txn(*conn);
  SQLite::Statement cur(*conn, "SELECT attempts, max_attempts FROM jobs "
                               "WHERE id = ? AND state = 'leased' AND lease_token = ?");
  cur.bind(1, job.id);
  cur.bind(2, job.lease_token);
  if (!cur.executeStep()) return FailOutcome::lease_lost;
  const int attempts = cur.getColumn(0).getInt();
  const bool dead = !retry || attempts >= cur.getColumn(1).getInt();
  cur.reset();
  SQLite::Statement q(*conn, dead ? "UPDATE jobs SET state = 'dead', last_error = ?1, lease_token = NULL,"
                                    " finished_ms = ?2, updated_ms = ?2 WHERE id = ?3"
                                  : "UPDATE jobs SET state = 'queued', last_error = ?1, lease_token = NULL,"
                                    " run_at_ms = ?2 + ?4, updated_ms = ?2 WHERE id = ?3");
  q.bind(1, error);
  q.bind(2, now);
  q.bind(3, job.id);
  if (!dead) q.bind(4, policy_.backoff_ms(attempts));
  q.exec();
  txn.commit();
  return dead ? FailOutcome::dead : FailOutcome::retry_scheduled;
}

bool JobQueue::release(const Job& job) {
  const int64_t now = clock_.now_ms();
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "UPDATE jobs SET state = 'queued', attempts = MAX(attempts - 1, 0), lease_token = NULL,"
                             " run_at_ms = ?1, updated_ms = ?1 WHERE id = ?2 AND state = 'leased' AND lease_token = ?3");
  q.bind(1, now);
  q.bind(2, job.id);
  q.bind(3, job.lease_token);
  return q.exec() == 1;
}

void JobQueue::requeue(int64_t id) {
  const int64_t now = clock_.now_ms();
  auto conn = db_.connect();
  WriteTransaction txn(*conn);
  auto rec = [&]() {
    SQLite::Statement q(*conn, "SELECT state FROM jobs WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) throw NotFound("no job " + std::to_string(id));
    return parse_job_state(q.getColumn(0).getString());
  }();
  if (rec != JobState::dead)
    throw Conflict("job " + std::to_string(id) + " is " + job_state_name(rec) + "; only dead jobs can be requeued");
  SQLite::Statement q(*conn, "UPDATE jobs SET state = 'queued', attempts = 0, run_at_ms = ?1, updated_ms = ?1,"
                             " finished_ms = NULL WHERE id = ?2");
  q.bind(1, now);
  q.bind(2, id);
  q.exec();
  txn.commit();
}

std::optional<JobRecord> JobQueue::get(int64_t id) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, std::string("SELECT ") + kRecordColumns + " FROM jobs WHERE id = ?");
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  return read_record(q);
}

std::vector<JobRecord> JobQueue::list(std::optional<JobState> state, int limit) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, std::string("SELECT ") + kRecordColumns +
                                 " FROM jobs WHERE (?1 IS NULL OR state = ?1) ORDER BY id DESC LIMIT ?2");
  if (state) q.bind(1, job_state_name(*state));
  else q.bind(1);
  q.bind(2, limit);
  std::vector<JobRecord> out;
  while (q.executeStep()) out.push_back(read_record(q));
  return out;
}

std::vector<JobCount> JobQueue::counts() {
  auto conn = db_.connect();
  return counts(*conn);
}

std::vector<JobCount> JobQueue::counts(SQLite::Database& conn) {
  SQLite::Statement q(conn, "SELECT kind, state, COUNT(*) FROM jobs GROUP BY kind, state ORDER BY kind, state");
  std::vector<JobCount> out;
  while (q.executeStep())
    out.push_back({q.getColumn(0).getString(), parse_job_state(q.getColumn(1).getString()), q.getColumn(2).getInt64()});
  return out;
}

} // namespace curator::core
