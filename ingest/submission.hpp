#pragma once
//! Submissions: one row per video anyone submitted, whatever became of it. A submission is never
//! deleted; a rejected one keeps its reason. States: queued -> processing -> done | rejected(reason) |
//! failed(reason) | duplicate(of). SubmissionStore is thread-safe (each call is one short transaction).
#include "core/database.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace curator::ingest {

/// queued -> processing -> done | rejected (reason) | failed (reason) | duplicate (of).
enum class SubmissionState { queued, processing, done, rejected, failed, duplicate };
const char* submission_state_name(SubmissionState state);
/// Throws InvalidInput for an unknown name.
SubmissionState parse_submission_state(const std::string& text);
/// Still waiting for or in its job: queued or processing.
inline bool in_flight(SubmissionState s) { return s == SubmissionState::queued || s == SubmissionState::processing; }

enum class Label { real, fake, unknown };
const char* label_name(Label label);
/// Throws InvalidInput for anything but real, fake, unknown.
Label parse_label(const std::string& text);

/// What a submitter tells us about a video. Every text field is limited in length (validate()).
struct SubmissionMeta {
  Label label = Label::unknown;
  std::string source = "contributor"; ///< ffpp, dfdc, celebdf, youtube, contributor, ...
  std::string method;                 ///< manipulation method, when known
  std::vector<std::string> derived_from; ///< external ids of the source's videos, or "#<submission id>"
  std::string contributor;
  std::string consent;
  bool trusted = false;
  std::string confirmed_by;           ///< the operator, for trusted imports
  std::string external_id;
  std::string official_split;         ///< train, val, test or empty
  std::optional<int64_t> submitted_by; ///< the signed-in user who submitted it (nobody reviews their own)
  std::string client_addr;             ///< the submitter's address, for web submissions
  std::string uploader_hash;           ///< SHA-256 of an anonymous submitter's browser cookie
  /// Throws InvalidInput naming the field that is too long or malformed.
  void validate() const;
};

struct Submission {
  int64_t id = 0;
  SubmissionState state = SubmissionState::queued;
  std::optional<std::string> reason;
  std::optional<int64_t> duplicate_of;
  std::string origin;
  std::string original_name;
  std::optional<std::string> url;
  std::optional<std::string> blob_sha256;
  int64_t size_bytes = 0;
  SubmissionMeta meta;
  int64_t progress_done = 0, progress_total = 0;
  bool no_face = false;
  std::optional<int64_t> decode_errors; ///< frames of the stream that could not be decoded (when counted)
  int64_t created_ms = 0;
  std::optional<std::string> access_key_hash; ///< none for submissions older than access keys
  nlohmann::json to_json() const;
  /// Whether `key` is this submission's access key (the secret in its page address).
  bool opens_with(const std::string& key) const;
};

/// A new access key (32 hex digits) and the hash that is stored.
struct AccessKey {
  std::string key, hash;
  static AccessKey generate();
};

class SubmissionStore {
public:
  explicit SubmissionStore(core::Database& db) : db_(db) {}

  /// Inserts a queued submission inside the caller's transaction and returns its id.
  int64_t insert(SQLite::Database& conn, const std::string& origin, const std::string& original_name,
                 const std::optional<std::string>& url, const std::optional<std::string>& blob_sha256,
                 int64_t size_bytes, const SubmissionMeta& meta, const std::string& access_key_hash, int64_t now_ms);

  std::optional<Submission> get(int64_t id);
  std::vector<Submission> list(int limit);
  void set_state(int64_t id, SubmissionState state, const std::optional<std::string>& reason, int64_t now_ms);
  void set_progress(int64_t id, int64_t done, int64_t total);
  /// A downloaded URL's content, inside the caller's transaction; the submission is queued again.
  void attach_blob(SQLite::Database& conn, int64_t id, const std::string& sha256, int64_t size, int64_t now_ms);
  /// Forgets the stored content of a submission (its blob was deleted).
  void detach_blob(int64_t id);
  /// How many submissions point at this content.
  int64_t blob_users(const std::string& sha256);
  /// The earliest submission before `id` with this content that was not rejected or failed.
  std::optional<int64_t> earlier_with_blob(const std::string& sha256, int64_t id);

  /// A final or retry state with its reason (and the original, for a duplicate).
  void finish(int64_t id, SubmissionState state, const std::optional<std::string>& reason,
              std::optional<int64_t> duplicate_of, int64_t now_ms);
  /// Rejected on arrival, inside the caller's transaction.
  void reject(SQLite::Database& conn, int64_t id, const std::string& reason, int64_t now_ms);
  /// Ingested, inside the caller's transaction (with the video's rows).
  /// `same_footage_as`: an earlier video with the same footage and faces; kept, and linked to it (the
  /// link is `duplicate_of` of a done submission, "same_footage_as" in its JSON, with a reason).
  void mark_done(SQLite::Database& conn, int64_t id, bool no_face, int64_t decode_errors, int64_t now_ms,
                 std::optional<int64_t> same_footage_as = std::nullopt);
  /// Marks failed, with its reason, each of these submissions still queued or processing. Returns how many.
  int fail_unfinished(const std::vector<std::pair<int64_t, std::string>>& reasons, int64_t now_ms);

  /// Submissions per state, and "no_face" (done without a face), for the status report.
  static nlohmann::json state_counts(SQLite::Database& conn);

private:
  core::Database& db_;
};

/// A name safe to show and log: no path, no control characters, at most 200 bytes.
std::string display_name(const std::string& raw);

} // namespace curator::ingest
