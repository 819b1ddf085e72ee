#include "serve/model_loop.hpp"

#include "core/error.hpp"
#include "core/logging.hpp"
#include "core/setting_keys.hpp"
#include "retrain/round_store.hpp"
#include "retrain/video_scorer.hpp"

#include <spdlog/spdlog.h>

namespace curator::serve {

ModelLoop::ModelLoop(Services& services, const core::Config& config, const core::Clock& clock)
    : services_(services), config_(config), clock_(clock), registry_(*services.db, services.dir, clock),
      reviews_(*services.db, clock,
               {static_cast<int>(config.get(core::keys::review_consensus_k)), static_cast<int>(config.get(core::keys::review_consensus_n))}),
      scoring_(retrain::parse_precision(config.get(core::keys::score_precision))) {}

ModelLoop::~ModelLoop() { stop(); }

void ModelLoop::register_jobs(core::WorkerPool& workers) {
  workers.register_kind(core::jobs::kModelRetrain.name, [this](const core::Job& job, core::JobContext& ctx) {
    auto options = retrain::RoundOptions::from_config(config_);
    options.trigger = job.payload.value("trigger", "manual");
    const auto result = retrain::run_round(*services_.db, services_.dir, clock_, options, [&ctx] { return ctx.stopping(); });
    ctx.check_cancelled(); // a round stopped by shutdown runs again after the restart
    if (result.decision && result.decision->promoted) queue_review_scores(); // the new champion's opinion
    return result.to_json();
  });
  workers.register_kind(core::jobs::kScoreVideo.name, [this](const core::Job& job, core::JobContext& ctx) { return score(job, ctx); });
  workers.register_kind(core::jobs::kReviewScore.name,
                        [this](const core::Job& job, core::JobContext& ctx) { return score_review_item(job, ctx); });
}

int ModelLoop::queue_review_scores() {
  const auto champion = registry_.champion();
  if (!champion) return 0;
  int queued = 0;
  for (const int64_t id : reviews_.open_with_video()) {
    const std::string key = "review.score:" + std::to_string(id) + ":v" + std::to_string(champion->version);
    if (services_.jobs->state_by_key(key)) continue; // this champion scored it, or will
    services_.jobs->enqueue(core::JobSpec::of(core::jobs::kReviewScore, {{"submission", id}, {"version", champion->version}}, key));
    ++queued;
  }
  return queued;
}

nlohmann::json ModelLoop::score_review_item(const core::Job& job, core::JobContext& ctx) {
  const int64_t id = job.payload.at("submission").get<int64_t>();
  const auto version = registry_.get(job.payload.at("version").get<int64_t>());
  const auto sub = services_.ingest->submissions().get(id);
  if (!sub || !sub->blob_sha256) throw core::PermanentJobError("submission has no stored video");
  const auto result = retrain::score_video(*scoring_.get(version.version, version.dir), services_.faces->get(),
                                           services_.blobs->path_of(*sub->blob_sha256),
                                           retrain::score_options(config_, 0, version.card), [&ctx] { ctx.check_cancelled(); });
  const auto& p = result["video"]["p_fake_confident"];
  if (!p.is_number()) return {{"submission", id}, {"score", nullptr}, {"reason", "no face"}};
  reviews_.set_model_score(id, p.get<double>());
  return {{"submission", id}, {"score", p}, {"model_version", version.version}};
}

nlohmann::json ModelLoop::score(const core::Job& job, core::JobContext& ctx) {
  const auto champion = registry_.champion(); // this version for the whole job, whatever happens meanwhile
  if (!champion) throw core::PermanentJobError("there is no champion model yet");
  const auto sha = job.payload.at("sha256").get<std::string>();
  // The champion's own crop and sampling settings (its card), the request's frame count when it gave one.
  const auto o = retrain::score_options(config_, static_cast<int>(job.payload.value("frames", int64_t{0})), champion->card);
  nlohmann::json result;
  const auto model = scoring_.get(champion->version, champion->dir);
  try {
    result = retrain::score_video(*model, services_.faces->get(), services_.blobs->path_of(sha), o,
                                  [&ctx] { ctx.check_cancelled(); });
  } catch (const InvalidInput& e) {
    throw core::PermanentJobError(e.what()); // not a video: retrying will not help
  }
  result["model_version"] = champion->version;
  result["precision"] = retrain::to_string(model->precision());
  result["name"] = job.payload.value("name", "");
  return result;
}

retrain::PromotionOutlook ModelLoop::outlook() {
  auto conn = services_.db->connect();
  return retrain::promotion_outlook(config_, *conn);
}

void ModelLoop::note(const retrain::PromotionOutlook& o) {
  std::lock_guard<std::mutex> lock(outlook_mutex_);
  if (last_outlook_ && *last_outlook_ == o) return;
  const bool was_blocked = last_outlook_ && !last_outlook_->can_promote;
  last_outlook_ = o;
  auto log = core::logger("scheduler");
  if (!o.can_promote) log->warn("no retraining round will start: {}", o.sentence);
  else if (was_blocked) log->info("retraining rounds can start again: {}", o.sentence);
  else log->info("{}", o.sentence);
}

std::optional<int64_t> ModelLoop::tick() {
  const auto answer = outlook();
  note(answer);
  if (!answer.can_promote) return std::nullopt; // a round would spend the cores and promote nothing
  const auto in = retrain::trigger_inputs(*services_.db, clock_.now_ms());
  const auto trigger = retrain::retrain_trigger(in, config_.get(core::keys::scheduler_min_new_confirmed),
                                                config_.get(core::keys::scheduler_every_hours));
  if (!trigger) return std::nullopt;
  auto conn = services_.db->connect();
  core::WriteTransaction txn(*conn);
  if (core::JobQueue::has_pending(*conn, core::jobs::kModelRetrain.name)) return std::nullopt; // one round at a time
  const int64_t id = services_.jobs->enqueue(*conn, core::JobSpec::of(core::jobs::kModelRetrain, {{"trigger", *trigger}}));
  txn.commit();
  core::logger("scheduler")->info("queued a retrain round (trigger: {}, {} newly confirmed videos)", *trigger,
                                  in.confirmed_since);
  return id;
}

int ModelLoop::reconcile() { return retrain::RoundStore(*services_.db).fail_stale(clock_.now_ms()); }

void ModelLoop::start() {
  if (!config_.get(core::keys::scheduler_enabled) || thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    const auto period = std::chrono::seconds(config_.get(core::keys::scheduler_poll_seconds));
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      try {
        tick();
      } catch (const std::exception& e) {
        core::logger("scheduler")->error("trigger check failed: {}", e.what());
      }
      lock.lock();
      wake_.wait_for(lock, period, [this] { return stopping_; });
    }
  });
}

void ModelLoop::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

} // namespace curator::serve
