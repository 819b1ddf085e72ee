#include "serve/model_loop.hpp"

#include "core/error.hpp"
#include "core/logging.hpp"
#include "retrain/video_scorer.hpp"

#include <SQLiteCpp/Statement.h>
#include <spdlog/spdlog.h>

namespace curator::serve {

ModelLoop::ModelLoop(Services& services, const core::Config& config, const core::Clock& clock)
    : services_(services), config_(config), clock_(clock), registry_(*services.db, services.dir, clock) {}

ModelLoop::~ModelLoop() { stop(); }

void ModelLoop::register_jobs(core::WorkerPool& workers) {
  workers.register_kind("model.retrain", [this](const core::Job& job, core::JobContext& ctx) {
    auto options = retrain::RoundOptions::from_config(config_);
    options.trigger = job.payload.value("trigger", "manual");
    const auto result = retrain::run_round(*services_.db, services_.dir, clock_, options, [&ctx] { return ctx.stopping(); });
    ctx.check_cancelled(); // a round stopped by shutdown runs again after the restart
    return result.to_json();
  });
  workers.register_kind("score.video", [this](const core::Job& job, core::JobContext&) { return score(job); });
}

nlohmann::json ModelLoop::score(const core::Job& job) {
  const auto champion = registry_.champion(); // this version for the whole job, whatever happens meanwhile
  if (!champion) throw core::PermanentJobError("there is no champion model yet");
  const auto sha = job.payload.at("sha256").get<std::string>();
  retrain::ScoreOptions o;
  o.sample_frames = static_cast<int>(job.payload.value("frames", config_.get_int("ingest.sample_frames")));
  o.min_face_score = static_cast<float>(config_.get_double("faces.min_score"));
  o.crop_size = static_cast<int>(config_.get_int("faces.crop_size"));
  o.tracker = {static_cast<float>(config_.get_double("faces.track_iou")),
               static_cast<float>(config_.get_double("faces.same_person_distance"))};
  nlohmann::json result;
  try {
    result = retrain::score_video(champion->ref(), services_.faces->get(), services_.blobs->path_of(sha), o);
  } catch (const InvalidInput& e) {
    throw core::PermanentJobError(e.what()); // not a video: retrying will not help
  }
  result["model_version"] = champion->version;
  result["name"] = job.payload.value("name", "");
  return result;
}

std::optional<int64_t> ModelLoop::tick() {
  const auto in = retrain::trigger_inputs(*services_.db, clock_.now_ms());
  const auto trigger = retrain::retrain_trigger(in, config_.get_int("scheduler.min_new_confirmed"),
                                                config_.get_double("scheduler.every_hours"));
  if (!trigger) return std::nullopt;
  auto conn = services_.db->connect();
  core::WriteTransaction txn(*conn);
  SQLite::Statement pending(*conn, "SELECT 1 FROM jobs WHERE kind = 'model.retrain' AND state IN ('queued', 'leased')");
  if (pending.executeStep()) return std::nullopt; // one round at a time
  const int64_t id = services_.jobs->enqueue(*conn, {"model.retrain", {{"trigger", *trigger}}, std::nullopt, -2});
  txn.commit();
  core::logger("scheduler")->info("queued a retrain round (trigger: {}, {} newly confirmed videos)", *trigger,
                                  in.confirmed_since);
  return id;
}

int ModelLoop::reconcile() {
  auto conn = services_.db->connect();
  core::WriteTransaction txn(*conn);
  SQLite::Statement q(*conn, "UPDATE retrain_rounds SET state = 'failed', error = 'interrupted (the daemon stopped)', "
                             "finished_ms = ? WHERE state = 'running'");
  q.bind(1, clock_.now_ms());
  const int n = q.exec();
  txn.commit();
  return n;
}

void ModelLoop::start() {
  if (!config_.get_bool("scheduler.enabled") || thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    const auto period = std::chrono::seconds(config_.get_int("scheduler.poll_seconds"));
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
