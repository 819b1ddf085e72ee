#pragma once
//! The continuous loop inside the daemon: a scheduler thread that looks at the retrain triggers every
//! scheduler.poll_seconds and queues one `model.retrain` job when a round is due (never a second while
//! one is queued or running) and a round could promote (promotion_outlook.hpp: a round that cannot is
//! not started; the outlook's sentence is logged whenever the answer changes, and rounds start again on
//! the first tick after it says they can), and the job handlers: `model.retrain` runs a round (retrain_round.hpp),
//! `score.video` scores an uploaded video with the champion of the moment. Model versions are immutable
//! folders, so a promotion never disturbs a scoring job in flight: it keeps the version it started with.
//! The version scored last stays loaded (shared by concurrent scoring jobs).
//! start()/stop() from the daemon's thread; tick() is thread-safe.
#include "core/worker_pool.hpp"
#include "labeling/review_queue.hpp"
#include "retrain/model_registry.hpp"
#include "retrain/promotion_outlook.hpp"
#include "retrain/retrain_round.hpp"
#include "retrain/video_scorer.hpp"
#include "serve/services.hpp"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace curator::serve {

class ModelLoop {
public:
  ModelLoop(Services& services, const core::Config& config, const core::Clock& clock);
  ~ModelLoop();

  void register_jobs(core::WorkerPool& workers);
  void start();
  void stop();
  /// One look at the triggers and the outlook: queues a round when one is due and could promote.
  /// Returns the queued job's id.
  std::optional<int64_t> tick();
  /// Whether a round could promote now (read from the configuration and the database on each call).
  retrain::PromotionOutlook outlook();
  /// Marks rounds whose process stopped beating as failed (their job runs again from the queue); a round
  /// running in another process (`curator worker`) keeps running.
  int reconcile();
  /// Queues a `review.score` job (once per item and champion version) for every item waiting for review,
  /// so the queue can put disagreements with the champion first (reviewers never see the score). Returns
  /// how many.
  int queue_review_scores();

  retrain::ModelRegistry& registry() { return registry_; }

private:
  nlohmann::json score(const core::Job& job, core::JobContext& ctx);
  nlohmann::json score_review_item(const core::Job& job, core::JobContext& ctx);
  void note(const retrain::PromotionOutlook& outlook);

  Services& services_;
  const core::Config& config_;
  const core::Clock& clock_;
  retrain::ModelRegistry registry_;
  labeling::ReviewQueue reviews_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
  retrain::ScoringModelCache scoring_; ///< in score.precision
  std::mutex outlook_mutex_;
  std::optional<retrain::PromotionOutlook> last_outlook_; ///< the last one logged
};

} // namespace curator::serve
