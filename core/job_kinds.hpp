#pragma once
//! Every job kind the daemon runs and its priority, in one place (higher runs first). A kind is
//! registered by the module that does the work; anyone may enqueue it by these names.
namespace curator::core::jobs {

struct Kind {
  const char* name;
  int priority;
};

/// A contributor's score request waits on an HTTP long poll: first.
inline constexpr Kind kScoreVideo{"score.video", 5};
/// Downloading a submitted URL (its own small pool in the daemon).
inline constexpr Kind kIngestFetch{"ingest.fetch", 0};
/// Processing a submitted video.
inline constexpr Kind kIngestVideo{"ingest.video", 0};
/// Re-planning the splits after new videos (one pending at a time).
inline constexpr Kind kDatasetRefresh{"dataset.refresh", -1};
/// The champion's opinion of a review item (orders the review queue).
inline constexpr Kind kReviewScore{"review.score", -1};
/// Deleting a video stored only to be scored, some time after it was (ingest/ingest_service.hpp).
inline constexpr Kind kBlobForget{"blob.forget", -3};
/// A retraining round (one pending at a time).
inline constexpr Kind kModelRetrain{"model.retrain", -2};

} // namespace curator::core::jobs
