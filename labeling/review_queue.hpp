#pragma once
//! The review queue: every done submission waits as a review item until people agree on its label.
//! Rules:
//!  - consensus k of n (config review.consensus_k / review.consensus_n, default 1 of 1): the first answer
//!    (real, fake or reject) given by k reviewers decides; n answers without k agreeing escalate the item
//!    to an admin, whose answer is final. "skip" passes the item to someone else and counts for nothing;
//!  - nobody reviews their own submission; nobody answers an item twice in one round;
//!  - a reject needs a reason; an admin can reopen a rejected (or escalated, or confirmed) item, which
//!    starts a new round where earlier answers no longer count;
//!  - intake: a share of new items (review.random_share) is "random intake": served before the others in
//!    a random order, so the champion never chose which items become test data; the rest are "ranked":
//!    items whose claimed label and the champion's score disagree most first, then oldest.
//! Only confirmed items enter dataset snapshots. Every decision and state change goes to the audit log
//! in the transaction that makes it. Thread-safe (each call uses its own connection).
#include "core/database.hpp"
#include "ingest/submission.hpp"
#include "labeling/accounts.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace curator::labeling {

/// pending -> confirmed | rejected | escalated (reviewers disagree: an admin decides); an admin reopens.
enum class ReviewState { pending, confirmed, rejected, escalated };
const char* review_state_name(ReviewState state);
/// Throws InvalidInput for an unknown name.
ReviewState parse_review_state(const std::string& text);

enum class Verdict { real, fake, reject, skip };
const char* verdict_name(Verdict v);
/// Accepts real, fake, reject, skip (and confirm_real / confirm_fake). Throws InvalidInput otherwise.
Verdict parse_verdict(const std::string& text);

struct ConsensusRule {
  int k = 1; ///< agreeing answers that decide
  int n = 1; ///< answers after which an undecided item escalates (n >= k)
};

struct ReviewDecision {
  std::string username, decision, reason;
  int64_t decided_ms = 0;
};

struct ReviewItem {
  int64_t submission_id = 0;
  ReviewState state = ReviewState::pending;
  std::string label;         ///< the confirmed label ("" until confirmed)
  std::string reason;        ///< why rejected or escalated
  std::string claimed_label, source, method, contributor, original_name;
  std::optional<int64_t> submitted_by;
  std::string uploader_hash; ///< for anonymous submissions: the SHA-256 of the submitting browser's cookie
  std::string intake;        ///< random, ranked or trusted (see open_item)
  int round = 1;
  int64_t created_ms = 0, updated_ms = 0;
  std::vector<ReviewDecision> decisions; ///< this round's answers, oldest first
  nlohmann::json to_json() const;
};

/// The confirmed labels as a subquery other modules may join (labeling owns review_items; this is its
/// one read for them): columns submission_id, label (real or fake), intake (random, ranked, trusted).
/// Use as `JOIN <confirmed_labels_sql()> r ON r.submission_id = ...`.
const char* confirmed_labels_sql();

class ReviewQueue {
public:
  ReviewQueue(core::Database& db, const core::Clock& clock, ConsensusRule rule);

  /// The next item for `user`: for admins escalated items first; never the user's own or one they
  /// answered (or skipped) this round.
  std::optional<ReviewItem> next(const User& user) const;
  /// Throws NotFound.
  ReviewItem get(int64_t submission_id) const;
  /// Items in `state` (all when none), oldest first.
  std::vector<ReviewItem> list(std::optional<ReviewState> state, int limit) const;
  /// Records an answer and applies the consensus rule. Throws Forbidden (own submission, escalated item
  /// and not an admin), Conflict (already decided, already answered), InvalidInput (reject without reason).
  ReviewItem decide(const User& user, int64_t submission_id, Verdict verdict, const std::string& reason);
  /// Admins only (Forbidden otherwise): back to pending in a new round. Throws Conflict when pending.
  ReviewItem reopen(const User& admin, int64_t submission_id, const std::string& reason);
  /// Stores the champion's score of an item. It only orders the queue (largest disagreement with the
  /// claim first): review is blind, so no item, page or API answer carries it.
  void set_model_score(int64_t submission_id, double fake_probability);

  /// Opens the review item of a newly ingested submission inside the caller's transaction (nothing
  /// when it has one): pending, or confirmed at once for a trusted import with a claimed label (its
  /// operator is the confirming actor, intake "trusted"). A pending item is random intake with
  /// probability `random_share` (a stable draw from its content hash), else ranked.
  static void open_item(SQLite::Database& conn, const ingest::Submission& submission, int64_t now_ms,
                        double random_share);
  /// Pending and escalated items whose video is stored: what the champion should score.
  std::vector<int64_t> open_with_video() const;
  /// Items confirmed after `after_ms`: how many and the oldest such confirmation.
  struct Confirmations {
    int64_t count = 0;
    std::optional<int64_t> oldest_ms;
  };
  static Confirmations confirmed_since(core::Database& db, int64_t after_ms);
  /// An item's state and confirmed label, without its decisions; nothing when it has no item.
  static std::optional<std::pair<ReviewState, std::string>> state_of(core::Database& db, int64_t submission_id);

private:
  core::Database& db_;
  const core::Clock& clock_;
  ConsensusRule rule_;
};

} // namespace curator::labeling
