#include "serve/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <mutex>
#include <set>
#include <utility>

namespace curator::serve {

struct Metrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& requests =
      prometheus::BuildCounter()
          .Name("curator_http_requests_total")
          .Help("HTTP requests by route pattern, method and status code")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& latency =
      prometheus::BuildHistogram()
          .Name("curator_http_request_duration_seconds")
          .Help("HTTP request latency by route pattern and method")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& jobs =
      prometheus::BuildGauge().Name("curator_jobs").Help("Jobs by kind and state").Register(*registry);
  prometheus::Family<prometheus::Gauge>& busy =
      prometheus::BuildGauge().Name("curator_job_workers_busy").Help("Workers running a job now").Register(*registry);
  prometheus::Family<prometheus::Gauge>& processes =
      prometheus::BuildGauge()
          .Name("curator_worker_processes")
          .Help("Processes that run jobs (serve and `curator worker`), by whether their heartbeat is recent")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& build =
      prometheus::BuildGauge().Name("curator_build_info").Help("Always 1; the version label").Register(*registry);
  std::mutex mutex;            // guards known_kinds and the scrape sequence
  std::set<std::string> known_kinds;
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {
  impl_->build.Add({{"version", CURATOR_VERSION}}).Set(1);
}

Metrics::~Metrics() = default;

void Metrics::observe_request(const std::string& route, const std::string& method, int status, double seconds) {
  static const prometheus::Histogram::BucketBoundaries buckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                                  0.25,  0.5,    1,     2.5,  5,    10};
  // Family::Add returns the existing series for known labels; it is internally locked.
  impl_->requests.Add({{"route", route}, {"method", method}, {"status", std::to_string(status)}}).Increment();
  impl_->latency.Add({{"route", route}, {"method", method}}, buckets).Observe(seconds);
}

std::string Metrics::render(const std::vector<core::JobCount>& jobs, int busy_workers,
                            const std::vector<core::WorkerRecord>& processes) {
  std::lock_guard lock(impl_->mutex);
  for (const auto& c : jobs) impl_->known_kinds.insert(c.kind);
  // Every state of every kind ever seen is exported, 0 when empty, so series do not vanish.
  for (const auto& kind : impl_->known_kinds) {
    for (auto state : {core::JobState::queued, core::JobState::leased, core::JobState::done, core::JobState::dead}) {
      double value = 0;
      for (const auto& c : jobs)
        if (c.kind == kind && c.state == state) value = static_cast<double>(c.count);
      impl_->jobs.Add({{"kind", kind}, {"state", core::job_state_name(state)}}).Set(value);
    }
  }
  impl_->busy.Add({}).Set(busy_workers);
  double alive = 0, gone = 0;
  for (const auto& p : processes)
    if (p.alive) alive += 1;
    else if (!p.stopped_ms) gone += 1;
  impl_->processes.Add({{"state", "alive"}}).Set(alive);
  impl_->processes.Add({{"state", "gone"}}).Set(gone); // killed: no heartbeat, no recorded stop
  return prometheus::TextSerializer().Serialize(impl_->registry->Collect());
}

} // namespace curator::serve
