#pragma once
//! Ingest: turns submissions into validated, deduplicated, face-annotated videos.
//! submit_*() store the video in the blob store and create a queued submission together with its
//! durable "ingest.video" job, in one transaction. run_job() does the work and is idempotent: it can be
//! re-run after a crash at any point and leaves exactly one copy of each row and crop file.
//! Thread-safe; the face models are obtained through `faces` once per job (shared, loaded once).
#include "core/blob_store.hpp"
#include "core/clock.hpp"
#include "core/data_dir.hpp"
#include "core/database.hpp"
#include "core/job_queue.hpp"
#include "core/worker_pool.hpp"
#include "ingest/submission.hpp"
#include "ingest/tracker.hpp"
#include "ingest/url_fetch.hpp"
#include "ingest/video_checks.hpp"
#include "ingest/video_store.hpp"

#include <functional>
#include <optional>
#include <string>

namespace curator::core {
class Config;
}

namespace curator::ingest {

struct IngestSettings {
  VideoLimits limits;
  int sample_frames = 32;
  int sample_every = 0;
  int detect_every = 8; ///< run the face detector on every k-th sampled frame, follow faces between (face_follower.hpp)
  bool follow_landmarks = false; ///< FollowSettings::follow_landmarks
  int near_duplicate_bits = 6;
  double copy_face_difference = 8.8;
  float min_score = 0.5f;
  int crop_size = 224;
  int min_face_px = 40;
  double blur_threshold = 20;
  TrackerOptions tracker;
  FetchLimits fetch;
  double max_broken_share = 0.02; ///< ingest.max_broken_share: more undecodable frames: rejected
  bool check_every_picture = false; ///< ingest.check_every_picture: decode unsampled non-reference frames too
  static IngestSettings from_config(const core::Config& config);
};

/// What a submitter gets back at once.
struct Receipt {
  int64_t id = 0;
  std::string path;
  std::string state;
  std::optional<std::string> reason;
  std::string access_key; ///< the secret for the submission's page address; given out once, only its hash is kept
  nlohmann::json to_json() const;
};

class IngestService {
public:
  static constexpr const char* kJobKind = core::jobs::kIngestVideo.name;
  /// URL submissions are downloaded by jobs of their own kind, which the daemon runs on a separate small
  /// pool, so slow servers can never hold up the processing of videos.
  static constexpr const char* kFetchKind = core::jobs::kIngestFetch.name;
  using FacesProvider = std::function<const faces::FacePipeline&()>;

  IngestService(core::Database& db, const core::BlobStore& blobs, core::JobQueue& jobs, const core::Clock& clock,
                core::DataDir dir, IngestSettings settings, FacesProvider faces);

  /// A local file. Throws NotFound when it cannot be read; an oversized file becomes a rejected
  /// submission (its reason kept).
  Receipt submit_file(const std::filesystem::path& file, const SubmissionMeta& meta, const std::string& origin);
  /// Content already streamed into the blob store (an HTTP upload).
  Receipt submit_blob(const core::BlobRef& blob, const std::string& name, const SubmissionMeta& meta);
  /// A URL, downloaded by the job. Throws InvalidInput for a URL that is not http(s).
  Receipt submit_url(const std::string& url, const SubmissionMeta& meta);

  /// The job handler. Returns a summary; throws to retry (transient errors).
  nlohmann::json run_job(int64_t submission_id, core::JobContext& ctx, bool last_attempt);
  /// Downloads a URL submission, then queues its ingest job. A refused or failed download rejects the
  /// submission and keeps nothing of it.
  nlohmann::json run_fetch(int64_t submission_id, bool last_attempt);

  /// Registers the ingest job kind (and blob.forget) on a worker pool.
  void register_jobs(core::WorkerPool& pool);

  /// A video stored only to be scored (POST /api/v1/score without add_to_dataset) is not kept: this
  /// queues a blob.forget job for it, `kForgetScoredAfterMs` from now.
  void forget_scored_later(const std::string& sha256);
  static constexpr int64_t kForgetScoredAfterMs = 10 * 60 * 1000;
  /// The blob.forget job. Deletes the blob unless a submission refers to it, or it was committed again in
  /// the last minute (an upload of the same bytes may be about to refer to it); while a score job still
  /// needs it, asks again later. Returns {"removed": bool, "reason"}.
  nlohmann::json run_forget(const std::string& sha256);
  /// Registers the download job kind (on its own pool in the daemon).
  void register_fetch_jobs(core::WorkerPool& pool);

  /// Marks failed the submissions whose job went to the dead letter without the job itself recording
  /// it (its worker died on the last attempt). Returns how many. Run at start-up.
  int reconcile_dead_jobs();

  /// Whether the submission still waits for or is in its ingest or download job (and that job is not
  /// dead).
  bool unfinished(int64_t submission_id);

  /// Called inside the transaction that records a video as ingested, with that transaction's
  /// connection: what other modules start from a new video (a review item, a dataset refresh) commits
  /// with it. Set before jobs run.
  using IngestedHook = std::function<void(SQLite::Database& conn, const Submission& submission)>;
  void on_ingested(IngestedHook hook) { on_ingested_ = std::move(hook); }

  SubmissionStore& submissions() { return submissions_; }
  VideoStore& videos() { return videos_; }
  const core::DataDir& data_dir() const { return dir_; }

private:
  friend class IngestRun; // the job's stages (ingest_job.cpp)

  Receipt create(const std::string& origin, const std::string& name, const std::optional<std::string>& url,
                 const std::optional<core::BlobRef>& blob, const SubmissionMeta& meta,
                 const std::optional<std::string>& rejection);
  /// A rejected file's bytes (uploaded or downloaded) are deleted (unless another submission has the same
  /// content): nothing keeps what is not a usable video.
  void forget_download(const Submission& sub);
  /// Finished videos with the same claimed label and method whose whole frames match `frame_hashes`.
  std::vector<FootageRow> footage_candidates(int64_t id, const std::string& label, const std::string& method,
                                             const std::vector<uint64_t>& frame_hashes);
  void finish(int64_t id, SubmissionState state, const std::optional<std::string>& reason,
              std::optional<int64_t> duplicate_of = std::nullopt);

  core::Database& db_;
  const core::BlobStore& blobs_;
  core::JobQueue& jobs_;
  const core::Clock& clock_;
  core::DataDir dir_;
  IngestSettings settings_;
  FacesProvider faces_;
  SubmissionStore submissions_;
  VideoStore videos_;
  IngestedHook on_ingested_;
};

} // namespace curator::ingest
