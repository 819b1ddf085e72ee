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
  /// Throws InvalidInput naming the field that is too long or malformed.
  void validate() const;
};

struct Submission {
  int64_t id = 0;
  std::string state;
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
  void set_state(int64_t id, const std::string& state, const std::optional<std::string>& reason, int64_t now_ms);
  void set_progress(int64_t id, int64_t done, int64_t total);

private:
  core::Database& db_;
};

/// A name safe to show and log: no path, no control characters, at most 200 bytes.
std::string display_name(const std::string& raw);

} // namespace curator::ingest
