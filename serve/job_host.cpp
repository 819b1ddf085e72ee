#include "serve/job_host.hpp"

#include "core/error.hpp"
#include "core/job_kinds.hpp"
#include "core/logging.hpp"
#include "core/setting_keys.hpp"
#include "core/version.hpp"
#include "dataset/dataset_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <unistd.h>

namespace curator::serve {

namespace {

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

core::WorkerPoolOptions pool_options(const core::Config& cfg, const core::JobQueue& jobs, int workers,
                                     const std::string& owner, const std::vector<std::string>& only_kinds) {
  core::WorkerPoolOptions o;
  o.workers = workers;
  o.poll_interval = std::chrono::milliseconds(cfg.get(core::keys::jobs_poll_interval_ms));
  o.heartbeat_interval = std::chrono::milliseconds(std::max<int64_t>(jobs.policy().lease_ms / 3, 100));
  o.owner = owner;
  o.limits = core::JobLimits::from_config(cfg);
  o.only_kinds = only_kinds;
  return o;
}

} // namespace

std::vector<std::string> JobHost::expand_kinds(const std::vector<std::string>& names) {
  namespace j = core::jobs;
  const std::map<std::string, std::vector<std::string>> groups = {
      {"ingest", {j::kIngestVideo.name, j::kIngestFetch.name, j::kBlobForget.name}},
      {"score", {j::kScoreVideo.name, j::kReviewScore.name}},
      {"dataset", {j::kDatasetRefresh.name}},
      {"train", {j::kModelRetrain.name}}};
  std::vector<std::string> out;
  for (const auto& name : names) {
    if (const auto g = groups.find(name); g != groups.end()) {
      out.insert(out.end(), g->second.begin(), g->second.end());
      continue;
    }
    bool known = false;
    for (const auto& [_, kinds] : groups) known |= std::find(kinds.begin(), kinds.end(), name) != kinds.end();
    if (!known)
      throw InvalidInput("unknown job kind '" + name + "': use ingest, score, dataset, train, or a kind such as " +
                         j::kIngestVideo.name);
    out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

JobHost::JobHost(Services& services, ModelLoop& loop, const core::Config& config, const core::Clock& clock,
                 JobHostOptions options)
    : services_(services), config_(config), clock_(clock), options_(std::move(options)), registry_(*services.db) {
  const int workers = threads_ =
      options_.workers >= 0 ? options_.workers : static_cast<int>(config.get(core::keys::jobs_workers));
  const std::string owner = options_.role + "@" + host_name() + ":" + std::to_string(::getpid());
  workers_ = std::make_unique<core::WorkerPool>(*services.jobs,
                                                pool_options(config, *services.jobs, workers, owner, options_.only_kinds));
  // Downloads of submitted URLs run on their own small pool: a slow server holds one of these threads,
  // never a job worker.
  fetchers_ = std::make_unique<core::WorkerPool>(
      *services.jobs, pool_options(config, *services.jobs, workers > 0 ? static_cast<int>(config.get(core::keys::ingest_url_workers)) : 0,
                                   owner + "-fetch", options_.only_kinds));
  for (auto& [kind, handler] : options_.extra_kinds) workers_->register_kind(kind, handler);
  services.ingest->register_jobs(*workers_);
  services.ingest->register_fetch_jobs(*fetchers_);
  loop.register_jobs(*workers_);
  // Ingest queues a refresh whenever a video is done, so new videos get (or inherit) their split soon.
  const auto dataset_settings = dataset::DatasetSettings::from_config(config);
  workers_->register_kind(core::jobs::kDatasetRefresh.name,
                          [&services, &loop, &clock, dataset_settings](const core::Job&, core::JobContext&) {
                            auto summary = dataset::refresh_splits(*services.db, clock, dataset_settings).to_json();
                            summary["review_scores_queued"] = loop.queue_review_scores(); // new items: the champion's opinion
                            return summary;
                          });
}

JobHost::~JobHost() {
  if (beat_thread_.joinable()) stop("destroyed", std::chrono::milliseconds(0));
}

std::vector<std::string> JobHost::kinds() const {
  auto out = workers_->kinds();
  for (const auto& k : fetchers_->kinds()) out.push_back(k);
  std::sort(out.begin(), out.end());
  return out;
}

void JobHost::start() {
  workers_->start();
  fetchers_->start();
  if (threads_ <= 0) return; // HTTP only: nothing to list
  enrolled_ = registry_.enroll(host_name() + " (" + options_.role + ")", ::getpid(), kinds(), core::code_version(),
                               clock_.now_ms());
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  beat_thread_ = std::thread([this] { beat(); });
}

void JobHost::beat() {
  const auto every = std::chrono::milliseconds(std::max<int64_t>(services_.jobs->policy().lease_ms / 3, 100));
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, every, [this] { return stopping_; })) {
    lock.unlock();
    try {
      auto running = workers_->running_jobs();
      for (const int64_t id : fetchers_->running_jobs()) running.push_back(id);
      registry_.heartbeat(enrolled_, running, clock_.now_ms());
    } catch (const std::exception& e) {
      core::logger("jobs")->warn("worker heartbeat failed: {}", e.what()); // the next one may succeed
    }
    lock.lock();
  }
}

bool JobHost::stop(const std::string& reason, std::chrono::milliseconds grace) {
  fetchers_->stop(grace);
  const bool clean = workers_->stop(grace);
  if (beat_thread_.joinable()) {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    beat_thread_.join();
    try {
      registry_.stop(enrolled_, clean ? reason : reason + " (handlers abandoned)", clock_.now_ms());
    } catch (const std::exception& e) {
      core::logger("jobs")->warn("could not record the worker's stop: {}", e.what());
    }
  }
  return clean;
}

} // namespace curator::serve
