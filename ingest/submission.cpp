#include "ingest/submission.hpp"

#include "core/enum_names.hpp"
#include "core/error.hpp"
#include "core/random_token.hpp"
#include "core/sha256.hpp"

#include <SQLiteCpp/Statement.h>

namespace curator::ingest {

constexpr core::EnumNames<SubmissionState, 6> kSubmissionStates{
    "submission state",
    {{{SubmissionState::queued, "queued"}, {SubmissionState::processing, "processing"}, {SubmissionState::done, "done"},
      {SubmissionState::rejected, "rejected"}, {SubmissionState::failed, "failed"}, {SubmissionState::duplicate, "duplicate"}}}};

const char* submission_state_name(SubmissionState state) { return kSubmissionStates.name(state); }
SubmissionState parse_submission_state(const std::string& text) { return kSubmissionStates.parse(text); }

const char* label_name(Label label) {
  switch (label) {
  case Label::real: return "real";
  case Label::fake: return "fake";
  case Label::unknown: return "unknown";
  }
  return "unknown";
}

Label parse_label(const std::string& text) {
  if (text == "real") return Label::real;
  if (text == "fake") return Label::fake;
  if (text == "unknown" || text.empty()) return Label::unknown;
  throw InvalidInput("label must be real, fake or unknown, not '" + display_name(text) + "'");
}

namespace {
void check_field(const std::string& name, const std::string& value, size_t max) {
  if (value.size() > max) throw InvalidInput(name + " is longer than " + std::to_string(max) + " bytes");
  for (unsigned char c : value)
    if (c < 0x20 && c != '\t') throw InvalidInput(name + " contains control characters");
}
} // namespace

void SubmissionMeta::validate() const {
  check_field("source", source, 64);
  if (source.empty()) throw InvalidInput("source is empty");
  for (char c : source)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'))
      throw InvalidInput("source may hold only letters, digits, '-' and '_'");
  std::string lower;
  for (char c : source) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "all") throw InvalidInput("'all' names every source together in metrics and cannot be a source");
  check_field("method", method, 128);
  check_field("contributor", contributor, 256);
  check_field("consent", consent, 2000);
  check_field("external_id", external_id, 512);
  check_field("client_addr", client_addr, 64);
  if (derived_from.size() > 16) throw InvalidInput("at most 16 derived-from references");
  for (const auto& d : derived_from) check_field("derived_from", d, 512);
  if (!official_split.empty() && official_split != "train" && official_split != "val" && official_split != "test")
    throw InvalidInput("official split must be train, val or test");
}

std::string display_name(const std::string& raw) {
  std::string name = raw;
  if (auto slash = name.find_last_of("/\\"); slash != std::string::npos && slash + 1 < name.size())
    name = name.substr(slash + 1);
  // Control characters become '?'; bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069:
  // "evil\u202Egpj.mp4" shows as "evilmp4.jpg") are dropped.
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c == 0xE2 && i + 2 < name.size()) {
      const auto b = static_cast<unsigned char>(name[i + 1]), d = static_cast<unsigned char>(name[i + 2]);
      if ((b == 0x80 && d >= 0xAA && d <= 0xAE) || (b == 0x81 && d >= 0xA6 && d <= 0xA9)) {
        i += 2;
        continue;
      }
    }
    out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  }
  if (out.size() > 200) out = out.substr(0, 200);
  return out;
}

nlohmann::json Submission::to_json() const {
  nlohmann::json j = {{"id", id},
                      {"state", submission_state_name(state)},
                      {"origin", origin},
                      {"name", original_name},
                      {"label", label_name(meta.label)},
                      {"source", meta.source},
                      {"progress", {{"done", progress_done}, {"total", progress_total}}},
                      {"no_face", no_face},
                      {"decode_errors", decode_errors ? nlohmann::json(*decode_errors) : nlohmann::json()},
                      {"trusted", meta.trusted},
                      {"created_ms", created_ms}};
  if (reason) j["reason"] = *reason;
  if (duplicate_of) j[state == SubmissionState::duplicate ? "duplicate_of" : "same_footage_as"] = *duplicate_of;
  if (url) j["url"] = *url;
  if (blob_sha256) j["sha256"] = *blob_sha256;
  if (!meta.method.empty()) j["method"] = meta.method;
  if (!meta.derived_from.empty()) j["derived_from"] = meta.derived_from;
  if (!meta.external_id.empty()) j["external_id"] = meta.external_id;
  if (!meta.official_split.empty()) j["official_split"] = meta.official_split;
  return j;
}

bool Submission::opens_with(const std::string& key) const {
  // Comparing hashes: how long the comparison takes says nothing about the key.
  return access_key_hash && key.size() == 32 && core::sha256_hex(key) == *access_key_hash;
}

AccessKey AccessKey::generate() {
  AccessKey k;
  k.key = core::random_hex(16);
  k.hash = core::sha256_hex(k.key);
  return k;
}

int64_t SubmissionStore::insert(SQLite::Database& conn, const std::string& origin, const std::string& original_name,
                                const std::optional<std::string>& url, const std::optional<std::string>& blob_sha256,
                                int64_t size_bytes, const SubmissionMeta& meta, const std::string& access_key_hash,
                                int64_t now_ms) {
  meta.validate();
  SQLite::Statement q(conn, "INSERT INTO submissions(origin, original_name, url, blob_sha256, size_bytes, claimed_label,"
                            " source, method, contributor, consent, trusted, confirmed_by, external_id, official_split,"
                            " created_ms, updated_ms, submitted_by, client_addr, access_key_hash, uploader_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,"
                            "?,?,?,?,?,?,?)");
  auto opt = [&](int i, const std::string& v) {
    if (v.empty()) q.bind(i);
    else q.bind(i, v);
  };
  q.bind(1, origin);
  q.bind(2, display_name(original_name));
  if (url) q.bind(3, *url);
  else q.bind(3);
  if (blob_sha256) q.bind(4, *blob_sha256);
  else q.bind(4);
  q.bind(5, size_bytes);
  q.bind(6, label_name(meta.label));
  q.bind(7, meta.source);
  opt(8, meta.method);
  opt(9, meta.contributor);
  opt(10, meta.consent);
  q.bind(11, meta.trusted ? 1 : 0);
  opt(12, meta.confirmed_by);
  opt(13, meta.external_id);
  opt(14, meta.official_split);
  q.bind(15, now_ms);
  q.bind(16, now_ms);
  if (meta.submitted_by) q.bind(17, *meta.submitted_by);
  else q.bind(17);
  opt(18, meta.client_addr);
  q.bind(19, access_key_hash);
  opt(20, meta.uploader_hash);
  q.exec();
  const int64_t id = conn.getLastInsertRowid();
  for (const auto& d : meta.derived_from) {
    SQLite::Statement r(conn, "INSERT OR IGNORE INTO submission_relations(submission_id, derived_from) VALUES (?, ?)");
    r.bind(1, id);
    r.bind(2, d);
    r.exec();
  }
  return id;
}

namespace {
constexpr const char* kColumns =
    "id, state, reason, duplicate_of, origin, original_name, url, blob_sha256, size_bytes, "
    "claimed_label, source, method, contributor, consent, trusted, confirmed_by, external_id, "
    "official_split, progress_done, progress_total, no_face, created_ms, submitted_by, "
    "access_key_hash, decode_errors";

std::string text_or_empty(const SQLite::Column& c) { return c.isNull() ? std::string() : c.getString(); }

Submission read_row(SQLite::Statement& q, SQLite::Database& conn) {
  Submission s;
  s.id = q.getColumn("id").getInt64();
  s.state = parse_submission_state(q.getColumn("state").getString());
  if (!q.getColumn("reason").isNull()) s.reason = q.getColumn("reason").getString();
  if (!q.getColumn("duplicate_of").isNull()) s.duplicate_of = q.getColumn("duplicate_of").getInt64();
  s.origin = q.getColumn("origin").getString();
  s.original_name = q.getColumn("original_name").getString();
  if (!q.getColumn("url").isNull()) s.url = q.getColumn("url").getString();
  if (!q.getColumn("blob_sha256").isNull()) s.blob_sha256 = q.getColumn("blob_sha256").getString();
  s.size_bytes = q.getColumn("size_bytes").isNull() ? 0 : q.getColumn("size_bytes").getInt64();
  s.meta.label = parse_label(q.getColumn("claimed_label").getString());
  s.meta.source = q.getColumn("source").getString();
  s.meta.method = text_or_empty(q.getColumn("method"));
  s.meta.contributor = text_or_empty(q.getColumn("contributor"));
  s.meta.consent = text_or_empty(q.getColumn("consent"));
  s.meta.trusted = q.getColumn("trusted").getInt() != 0;
  s.meta.confirmed_by = text_or_empty(q.getColumn("confirmed_by"));
  s.meta.external_id = text_or_empty(q.getColumn("external_id"));
  s.meta.official_split = text_or_empty(q.getColumn("official_split"));
  s.progress_done = q.getColumn("progress_done").getInt64();
  s.progress_total = q.getColumn("progress_total").getInt64();
  s.no_face = q.getColumn("no_face").getInt() != 0;
  s.created_ms = q.getColumn("created_ms").getInt64();
  if (!q.getColumn("submitted_by").isNull()) s.meta.submitted_by = q.getColumn("submitted_by").getInt64();
  if (!q.getColumn("access_key_hash").isNull()) s.access_key_hash = q.getColumn("access_key_hash").getString();
  if (!q.getColumn("decode_errors").isNull()) s.decode_errors = q.getColumn("decode_errors").getInt64();
  SQLite::Statement r(conn, "SELECT derived_from FROM submission_relations WHERE submission_id = ? ORDER BY rowid");
  r.bind(1, s.id);
  while (r.executeStep()) s.meta.derived_from.push_back(r.getColumn("derived_from").getString());
  return s;
}
} // namespace

std::optional<Submission> SubmissionStore::get(int64_t id) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, std::string("SELECT ") + kColumns + " FROM submissions WHERE id = ?");
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  return read_row(q, *conn);
}

std::vector<Submission> SubmissionStore::list(int limit) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, std::string("SELECT ") + kColumns + " FROM submissions ORDER BY id DESC LIMIT ?");
  q.bind(1, limit);
  std::vector<Submission> out;
  while (q.executeStep()) out.push_back(read_row(q, *conn));
  return out;
}

void SubmissionStore::set_state(int64_t id, SubmissionState state, const std::optional<std::string>& reason,
                                int64_t now_ms) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "UPDATE submissions SET state = ?, reason = ?, updated_ms = ? WHERE id = ?");
  q.bind(1, submission_state_name(state));
  if (reason) q.bind(2, *reason);
  else q.bind(2);
  q.bind(3, now_ms);
  q.bind(4, id);
  q.exec();
}

void SubmissionStore::set_progress(int64_t id, int64_t done, int64_t total) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "UPDATE submissions SET progress_done = ?, progress_total = ? WHERE id = ?");
  q.bind(1, done);
  q.bind(2, total);
  q.bind(3, id);
  q.exec();
}

void SubmissionStore::attach_blob(SQLite::Database& conn, int64_t id, const std::string& sha256, int64_t size,
                                  int64_t now_ms) {
  SQLite::Statement q(conn, "UPDATE submissions SET blob_sha256 = ?, size_bytes = ?, state = 'queued', updated_ms = ? "
                            "WHERE id = ?");
  q.bind(1, sha256), q.bind(2, size), q.bind(3, now_ms), q.bind(4, id);
  q.exec();
}

void SubmissionStore::detach_blob(int64_t id) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "UPDATE submissions SET blob_sha256 = NULL, size_bytes = 0 WHERE id = ?");
  q.bind(1, id);
  q.exec();
}

int64_t SubmissionStore::blob_users(const std::string& sha256) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "SELECT COUNT(*) FROM submissions WHERE blob_sha256 = ?");
  q.bind(1, sha256);
  q.executeStep();
  return q.getColumn(0).getInt64();
}

std::optional<int64_t> SubmissionStore::earlier_with_blob(const std::string& sha256, int64_t id) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "SELECT id FROM submissions WHERE blob_sha256 = ? AND id < ? AND state NOT IN "
                             "('rejected', 'failed') ORDER BY id LIMIT 1");
  q.bind(1, sha256);
  q.bind(2, id);
  if (!q.executeStep()) return std::nullopt;
  return q.getColumn("id").getInt64();
}

void SubmissionStore::finish(int64_t id, SubmissionState state, const std::optional<std::string>& reason,
                             std::optional<int64_t> duplicate_of, int64_t now_ms) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "UPDATE submissions SET state = ?, reason = ?, duplicate_of = ?, updated_ms = ? WHERE id = ?");
  q.bind(1, submission_state_name(state));
  if (reason) q.bind(2, *reason);
  else q.bind(2);
  if (duplicate_of) q.bind(3, *duplicate_of);
  else q.bind(3);
  q.bind(4, now_ms);
  q.bind(5, id);
  q.exec();
}

void SubmissionStore::reject(SQLite::Database& conn, int64_t id, const std::string& reason, int64_t now_ms) {
  SQLite::Statement q(conn, "UPDATE submissions SET state = 'rejected', reason = ?, updated_ms = ? WHERE id = ?");
  q.bind(1, reason), q.bind(2, now_ms), q.bind(3, id);
  q.exec();
}

void SubmissionStore::mark_done(SQLite::Database& conn, int64_t id, bool no_face, int64_t decode_errors, int64_t now_ms,
                                std::optional<int64_t> same_footage_as) {
  SQLite::Statement q(conn, "UPDATE submissions SET state = 'done', reason = ?, duplicate_of = ?, no_face = ?, "
                            "decode_errors = ?, updated_ms = ? WHERE id = ?");
  if (same_footage_as) {
    q.bind(1, "kept and linked: the same footage and faces as #" + std::to_string(*same_footage_as) +
                  " (a re-encode, a resize, or a subtle edit such as a reenactment); both stay, in one split unit");
    q.bind(2, *same_footage_as);
  } else {
    q.bind(1), q.bind(2);
  }
  q.bind(3, no_face ? 1 : 0), q.bind(4, decode_errors), q.bind(5, now_ms), q.bind(6, id);
  q.exec();
}

int SubmissionStore::fail_unfinished(const std::vector<std::pair<int64_t, std::string>>& reasons, int64_t now_ms) {
  auto conn = db_.connect();
  core::WriteTransaction txn(*conn);
  SQLite::Statement q(*conn, "UPDATE submissions SET state = 'failed', reason = ?, updated_ms = ? WHERE id = ? AND "
                             "state IN ('queued', 'processing')");
  int changed = 0;
  for (const auto& [id, reason] : reasons) {
    q.bind(1, reason), q.bind(2, now_ms), q.bind(3, id);
    changed += q.exec();
    q.reset();
  }
  txn.commit();
  return changed;
}

nlohmann::json SubmissionStore::state_counts(SQLite::Database& conn) {
  nlohmann::json counts = {{"queued", 0}, {"processing", 0}, {"done", 0}, {"rejected", 0}, {"failed", 0}, {"duplicate", 0}};
  SQLite::Statement q(conn, "SELECT state, COUNT(*) AS n FROM submissions GROUP BY state");
  while (q.executeStep()) counts[q.getColumn("state").getString()] = q.getColumn("n").getInt64();
  SQLite::Statement nf(conn, "SELECT COUNT(*) FROM submissions WHERE state = 'done' AND no_face = 1");
  nf.executeStep();
  counts["no_face"] = nf.getColumn(0).getInt64();
  return counts;
}

} // namespace curator::ingest
