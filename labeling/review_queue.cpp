#include "labeling/review_queue.hpp"

#include "core/clock.hpp"
#include "core/database.hpp"
#include "core/enum_names.hpp"
#include "core/error.hpp"
#include "core/sha256.hpp"
#include "labeling/audit_log.hpp"

#include <SQLiteCpp/Statement.h>

#include <map>

namespace curator::labeling {

constexpr core::EnumNames<ReviewState, 4> kReviewStates{
    "review state", {{{ReviewState::pending, "pending"}, {ReviewState::confirmed, "confirmed"},
                      {ReviewState::rejected, "rejected"}, {ReviewState::escalated, "escalated"}}}};

const char* review_state_name(ReviewState state) { return kReviewStates.name(state); }
ReviewState parse_review_state(const std::string& text) { return kReviewStates.parse(text); }

const char* verdict_name(Verdict v) {
  switch (v) {
  case Verdict::real: return "real";
  case Verdict::fake: return "fake";
  case Verdict::reject: return "reject";
  case Verdict::skip: return "skip";
  }
  return "skip";
}

Verdict parse_verdict(const std::string& text) {
  if (text == "real" || text == "confirm_real") return Verdict::real;
  if (text == "fake" || text == "confirm_fake") return Verdict::fake;
  if (text == "reject") return Verdict::reject;
  if (text == "skip") return Verdict::skip;
  throw InvalidInput("unknown decision '" + text + "' (real, fake, reject, skip)");
}

nlohmann::json ReviewItem::to_json() const {
  nlohmann::json d = nlohmann::json::array();
  for (const auto& x : decisions)
    d.push_back({{"user", x.username}, {"decision", x.decision}, {"reason", x.reason}, {"decided_ms", x.decided_ms}});
  return {{"submission_id", submission_id},
          {"state", review_state_name(state)},
          {"label", label.empty() ? nlohmann::json() : nlohmann::json(label)},
          {"reason", reason.empty() ? nlohmann::json() : nlohmann::json(reason)},
          {"claimed_label", claimed_label},
          {"source", source},
          {"method", method},
          {"contributor", contributor},
          {"intake", intake},
          {"name", original_name},
          {"round", round},
          {"created_ms", created_ms},
          {"updated_ms", updated_ms},
          {"decisions", d},
          {"video_url", "/media/submissions/" + std::to_string(submission_id) + "/video"},
          {"page_url", "/review/" + std::to_string(submission_id)}};
}

namespace {

constexpr const char* kSelect =
    "SELECT r.submission_id, r.state, COALESCE(r.label, '') AS label, COALESCE(r.reason, '') AS "
    "reason, s.claimed_label, s.source, COALESCE(s.method, '') AS method, COALESCE(s.contributor, "
    "'') AS contributor, s.original_name, s.submitted_by, r.round, r.created_ms, r.updated_ms, "
    "COALESCE(s.uploader_hash, '') AS uploader_hash, r.intake FROM review_items r JOIN submissions s ON s.id = "
    "r.submission_id ";

ReviewItem read_item(SQLite::Statement& q) {
  ReviewItem it;
  it.submission_id = q.getColumn("submission_id").getInt64();
  it.state = parse_review_state(q.getColumn("state").getString());
  it.label = q.getColumn("label").getString();
  it.reason = q.getColumn("reason").getString();
  it.claimed_label = q.getColumn("claimed_label").getString();
  it.source = q.getColumn("source").getString();
  it.method = q.getColumn("method").getString();
  it.contributor = q.getColumn("contributor").getString();
  it.original_name = q.getColumn("original_name").getString();
  if (!q.getColumn("submitted_by").isNull()) it.submitted_by = q.getColumn("submitted_by").getInt64();
  it.round = q.getColumn("round").getInt();
  it.created_ms = q.getColumn("created_ms").getInt64();
  it.updated_ms = q.getColumn("updated_ms").getInt64();
  it.uploader_hash = q.getColumn("uploader_hash").getString();
  it.intake = q.getColumn("intake").getString();
  return it;
}

ReviewItem load(SQLite::Database& conn, int64_t id) {
  SQLite::Statement q(conn, std::string(kSelect) + "WHERE r.submission_id = ?");
  q.bind(1, id);
  if (!q.executeStep()) throw NotFound("no review item for submission " + std::to_string(id));
  ReviewItem it = read_item(q);
  SQLite::Statement d(conn, "SELECT u.username, d.decision, COALESCE(d.reason, ''), d.decided_ms FROM review_decisions d "
                            "JOIN users u ON u.id = d.user_id WHERE d.submission_id = ? AND d.round = ? ORDER BY d.id");
  d.bind(1, id), d.bind(2, it.round);
  while (d.executeStep())
    it.decisions.push_back({d.getColumn(0).getString(), d.getColumn(1).getString(), d.getColumn(2).getString(),
                            d.getColumn(3).getInt64()});
  return it;
}

void set_state(SQLite::Database& conn, const ReviewItem& before, ReviewState to, const std::string& label,
               const std::string& reason, const std::string& actor, int64_t now) {
  const std::string state = review_state_name(to);
  SQLite::Statement q(conn, "UPDATE review_items SET state = ?, label = ?, reason = ?, decided_by = ?, updated_ms = ? "
                            "WHERE submission_id = ?");
  q.bind(1, state);
  if (label.empty()) q.bind(2);
  else q.bind(2, label);
  if (reason.empty()) q.bind(3);
  else q.bind(3, reason);
  q.bind(4, actor), q.bind(5, now), q.bind(6, before.submission_id);
  q.exec();
  const std::string old_value = review_state_name(before.state) + (before.label.empty() ? "" : ":" + before.label);
  const std::string new_value = state + (label.empty() ? "" : ":" + label) + (reason.empty() ? "" : " (" + reason + ")");
  append_audit(conn, now, actor, "review.state", "review", std::to_string(before.submission_id), old_value, new_value);
}

} // namespace

const char* confirmed_labels_sql() {
  return "(SELECT submission_id, label, intake FROM review_items WHERE state = 'confirmed')";
}

ReviewQueue::ReviewQueue(core::Database& db, const core::Clock& clock, ConsensusRule rule)
    : db_(db), clock_(clock), rule_(rule) {
  if (rule_.k < 1 || rule_.n < rule_.k) throw ConfigError("review consensus needs 1 <= consensus_k <= consensus_n");
}

std::optional<ReviewItem> ReviewQueue::next(const User& user) const {
  auto conn = db_.connect();
  // Disagreement: |claimed (fake 1, real 0, unknown 0.5) - score|; unscored items after scored ones.
  SQLite::Statement q(*conn, std::string(kSelect) +
                                 "WHERE (r.state = 'pending' OR (r.state = 'escalated' AND ?1 = 1)) "
                                 "AND (s.submitted_by IS NULL OR s.submitted_by != ?2) "
                                 "AND NOT EXISTS (SELECT 1 FROM review_decisions d WHERE d.submission_id = r.submission_id "
                                 "AND d.user_id = ?2 AND d.round = r.round) "
                                 "ORDER BY CASE WHEN r.state = 'escalated' THEN 0 ELSE 1 END, "
                                 "CASE WHEN r.intake = 'random' THEN r.intake_key ELSE 2 END, "
                                 "r.model_score IS NULL, ABS(CASE s.claimed_label WHEN 'fake' THEN 1.0 WHEN 'real' THEN 0.0 "
                                 "ELSE 0.5 END - COALESCE(r.model_score, 0.5)) DESC, r.created_ms, r.submission_id LIMIT 1");
  q.bind(1, user.is_admin() ? 1 : 0), q.bind(2, user.id);
  if (!q.executeStep()) return std::nullopt;
  const int64_t id = q.getColumn(0).getInt64();
  return load(*conn, id);
}

ReviewItem ReviewQueue::get(int64_t submission_id) const {
  auto conn = db_.connect();
  return load(*conn, submission_id);
}

std::vector<ReviewItem> ReviewQueue::list(std::optional<ReviewState> state, int limit) const {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, std::string(kSelect) + "WHERE (?1 = '' OR r.state = ?1) ORDER BY r.created_ms, "
                                                    "r.submission_id LIMIT ?2");
  q.bind(1, state ? review_state_name(*state) : ""), q.bind(2, limit);
  std::vector<ReviewItem> out;
  while (q.executeStep()) out.push_back(read_item(q));
  return out;
}

ReviewItem ReviewQueue::decide(const User& user, int64_t submission_id, Verdict verdict, const std::string& reason) {
  if (reason.size() > 1000) throw InvalidInput("the reason is longer than 1000 characters");
  if (verdict == Verdict::reject && reason.empty()) throw InvalidInput("say why the item is unusable");
  auto conn = db_.connect();
  core::WriteTransaction txn(*conn);
  const ReviewItem item = load(*conn, submission_id);
  if (item.submitted_by && *item.submitted_by == user.id) throw Forbidden("nobody reviews their own submission");
  if (item.state == ReviewState::escalated && !user.is_admin()) throw Forbidden("reviewers disagreed: an admin decides this item");
  if (item.state != ReviewState::pending && item.state != ReviewState::escalated)
    throw Conflict("submission " + std::to_string(submission_id) + " is already " + review_state_name(item.state));
  for (const auto& d : item.decisions)
    if (d.username == user.username) throw Conflict("you already answered this item");
  const int64_t now = clock_.now_ms();
  SQLite::Statement ins(*conn, "INSERT INTO review_decisions(submission_id, user_id, round, decision, reason, decided_ms) "
                               "VALUES (?, ?, ?, ?, ?, ?)");
  ins.bind(1, submission_id), ins.bind(2, user.id), ins.bind(3, item.round), ins.bind(4, verdict_name(verdict));
  if (reason.empty()) ins.bind(5);
  else ins.bind(5, reason);
  ins.bind(6, now);
  ins.exec();
  append_audit(*conn, now, user.username, "review.decide", "review", std::to_string(submission_id),
               review_state_name(item.state), std::string(verdict_name(verdict)) + (reason.empty() ? "" : " (" + reason + ")"));
  if (verdict != Verdict::skip) {
    auto apply = [&](Verdict v, const std::string& why) {
      if (v == Verdict::reject) set_state(*conn, item, ReviewState::rejected, "", why, user.username, now);
      else set_state(*conn, item, ReviewState::confirmed, verdict_name(v), "", user.username, now);
    };
    if (item.state == ReviewState::escalated) {
      apply(verdict, reason); // the admin's answer is final
    } else {
      std::map<std::string, int> votes;
      int answers = 1;
      ++votes[verdict_name(verdict)];
      for (const auto& d : item.decisions)
        if (d.decision != "skip") ++votes[d.decision], ++answers;
      if (votes[verdict_name(verdict)] >= rule_.k) {
        apply(verdict, reason);
      } else if (answers >= rule_.n) {
        std::string tally;
        for (const auto& [name, count] : votes) tally += (tally.empty() ? "" : ", ") + std::to_string(count) + " " + name;
        set_state(*conn, item, ReviewState::escalated, "", "reviewers disagree (" + tally + ")", user.username, now);
      }
    }
  }
  txn.commit();
  return get(submission_id);
}

ReviewItem ReviewQueue::reopen(const User& admin, int64_t submission_id, const std::string& reason) {
  if (!admin.is_admin()) throw Forbidden("only an admin can reopen an item");
  auto conn = db_.connect();
  core::WriteTransaction txn(*conn);
  const ReviewItem item = load(*conn, submission_id);
  if (item.state == ReviewState::pending) throw Conflict("submission " + std::to_string(submission_id) + " is already pending");
  const int64_t now = clock_.now_ms();
  SQLite::Statement q(*conn, "UPDATE review_items SET round = round + 1 WHERE submission_id = ?");
  q.bind(1, submission_id);
  q.exec();
  set_state(*conn, item, ReviewState::pending, "", "", admin.username, now);
  append_audit(*conn, now, admin.username, "review.reopen", "review", std::to_string(submission_id),
               review_state_name(item.state),
               reason.empty() ? "reopened" : "reopened (" + reason + ")");
  txn.commit();
  return get(submission_id);
}

void ReviewQueue::set_model_score(int64_t submission_id, double fake_probability) {
  auto conn = db_.connect();
  core::WriteTransaction txn(*conn);
  SQLite::Statement q(*conn, "UPDATE review_items SET model_score = ? WHERE submission_id = ?");
  q.bind(1, fake_probability), q.bind(2, submission_id);
  if (q.exec() == 0) throw NotFound("no review item for submission " + std::to_string(submission_id));
  txn.commit();
}

void ReviewQueue::open_item(SQLite::Database& conn, const ingest::Submission& sub, int64_t now_ms, double random_share) {
  const bool confirmed = sub.meta.trusted && sub.meta.label != ingest::Label::unknown;
  // Two stable uniform draws from the id: whether the item is random intake, and its place among them.
  const auto h = core::sha256_hex("review-intake:" + std::to_string(sub.id));
  const double u = static_cast<double>(std::stoull(h.substr(0, 13), nullptr, 16)) / static_cast<double>(1ULL << 52);
  const double key = static_cast<double>(std::stoull(h.substr(13, 13), nullptr, 16)) / static_cast<double>(1ULL << 52);
  const std::string intake = confirmed ? "trusted" : u < random_share ? "random" : "ranked";
  SQLite::Statement q(conn, "INSERT OR IGNORE INTO review_items(submission_id, state, label, decided_by, created_ms, "
                            "updated_ms, intake, intake_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  q.bind(1, sub.id);
  q.bind(2, review_state_name(confirmed ? ReviewState::confirmed : ReviewState::pending));
  if (confirmed) q.bind(3, ingest::label_name(sub.meta.label));
  else q.bind(3);
  if (sub.meta.trusted) q.bind(4, sub.meta.confirmed_by);
  else q.bind(4);
  q.bind(5, now_ms), q.bind(6, now_ms), q.bind(7, intake), q.bind(8, key);
  q.exec();
}

std::vector<int64_t> ReviewQueue::open_with_video() const {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "SELECT r.submission_id FROM review_items r JOIN submissions s ON s.id = r.submission_id "
                             "WHERE r.state IN ('pending', 'escalated') AND s.blob_sha256 IS NOT NULL ORDER BY 1");
  std::vector<int64_t> out;
  while (q.executeStep()) out.push_back(q.getColumn("submission_id").getInt64());
  return out;
}

ReviewQueue::Confirmations ReviewQueue::confirmed_since(core::Database& db, int64_t after_ms) {
  auto conn = db.connect();
  SQLite::Statement q(*conn, "SELECT COUNT(*) AS n, MIN(updated_ms) AS oldest FROM review_items WHERE state = "
                             "'confirmed' AND updated_ms > ?");
  q.bind(1, after_ms);
  Confirmations c;
  if (q.executeStep()) {
    c.count = q.getColumn("n").getInt64();
    if (!q.getColumn("oldest").isNull()) c.oldest_ms = q.getColumn("oldest").getInt64();
  }
  return c;
}

std::optional<std::pair<ReviewState, std::string>> ReviewQueue::state_of(core::Database& db, int64_t submission_id) {
  auto conn = db.connect();
  SQLite::Statement q(*conn, "SELECT state, COALESCE(label, '') AS label FROM review_items WHERE submission_id = ?");
  q.bind(1, submission_id);
  if (!q.executeStep()) return std::nullopt;
  return std::make_pair(parse_review_state(q.getColumn("state").getString()), q.getColumn("label").getString());
}

} // namespace curator::labeling
