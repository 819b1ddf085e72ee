#include "retrain/retrain_round.hpp"

#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/data_dir.hpp"
#include "core/database.hpp"
#include "core/error.hpp"
#include "core/logging.hpp"
#include "core/setting_keys.hpp"
#include "dataset/audit.hpp"
#include "labeling/review_queue.hpp"
#include "retrain/round_store.hpp"
#include "retrain/video_scorer.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <cmath>
#include <map>
#include <stdexcept>

namespace curator::retrain {

std::optional<std::string> retrain_trigger(const TriggerInputs& in, int64_t min_new_confirmed, double every_hours) {
  if (in.round_running || in.confirmed_since <= 0) return std::nullopt;
  if (in.confirmed_since >= min_new_confirmed) return "count";
  if (every_hours > 0) {
    const int64_t since = in.last_round_ms ? *in.last_round_ms : in.oldest_new_confirmation_ms.value_or(in.now_ms);
    if (in.now_ms - since >= static_cast<int64_t>(every_hours * 3'600'000)) return "time";
  }
  return std::nullopt;
}

TriggerInputs trigger_inputs(core::Database& db, int64_t now_ms) {
  TriggerInputs in;
  in.now_ms = now_ms;
  const auto timing = RoundStore(db).timing(now_ms);
  in.last_round_ms = timing.last_started_ms;
  in.round_running = timing.running;
  const auto confirmed = labeling::ReviewQueue::confirmed_since(db, in.last_round_ms.value_or(-1));
  in.confirmed_since = confirmed.count;
  in.oldest_new_confirmation_ms = confirmed.oldest_ms;
  return in;
}

RoundOptions RoundOptions::from_config(const core::Config& c) {
  RoundOptions o;
  auto params = nlohmann::json::parse(c.get(core::keys::scheduler_params), nullptr, false);
  if (params.is_discarded() || !params.is_object()) throw ConfigError("scheduler.params must be a JSON object");
  o.base = configured_train_params(c, params);
  o.search_runs = static_cast<int>(c.get(core::keys::scheduler_search_runs));
  o.max_epochs = o.base.epochs;
  o.gate = GateConfig::from_config(c);
  o.threads = static_cast<int>(c.get(core::keys::torch_threads));
  o.dataset = dataset::DatasetSettings::from_config(c);
  o.serving = serving_settings(c);
  return o;
}

nlohmann::json RoundResult::to_json() const {
  return {{"round", round},
          {"state", state},
          {"snapshot_id", snapshot_id},
          {"search_id", search_id},
          {"error", error.empty() ? nlohmann::json() : nlohmann::json(error)},
          {"candidate", candidate ? nlohmann::json(*candidate) : nlohmann::json()},
          {"decision", decision ? decision->to_json() : nlohmann::json()}};
}

namespace {

void update_round(core::Database& db, const RoundResult& r, int64_t now) {
  RoundRow row;
  row.round = r.round;
  row.state = r.state, row.snapshot_id = r.snapshot_id, row.search_id = r.search_id, row.error = r.error;
  row.candidate = r.candidate;
  if (r.decision) row.promoted = r.decision->promoted;
  RoundStore(db).update(row, now);
}

// How a round ranks its runs: the mean over sources of the video-level validation AUC (as the gate judges
// per source, on test videos), else the pooled frame AUC (1 below any video-level value).
double val_auc(const RunRecord& r) {
  try {
    if (const auto v = validation_auc(r)) return 1 + *v;
    const auto& v = r.metrics.at("val").at("all").at("frames").at("auc").at("value");
    return v.is_number() ? v.get<double>() : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

} // namespace

namespace {

// Both models' scores of the same test crops, grouped by source.
std::map<std::string, PairedScores> paired(const std::vector<CropScore>& candidate, const std::vector<CropScore>* champion) {
  std::map<std::string, PairedScores> out;
  for (size_t i = 0; i < candidate.size(); ++i) {
    const auto& c = candidate[i];
    if (champion && ((*champion)[i].video != c.video || (*champion)[i].frame != c.frame || (*champion)[i].track != c.track))
      throw std::logic_error("champion and candidate were scored on different crops");
    auto& p = out[c.source];
    p.video.push_back(c.video);
    p.unit.push_back(c.unit);
    p.label.push_back(c.label);
    p.candidate.push_back(c.p_fake);
    if (champion) p.champion.push_back((*champion)[i].p_fake);
  }
  return out;
}

} // namespace

PromotionRecord gate_candidate(core::Database& db, const core::DataDir& dir, const core::Clock& clock, int64_t version,
                               const GateConfig& gate, int threads, const std::string& actor) {
  ModelRegistry registry(db, dir, clock);
  const auto candidate = registry.get(version);
  if (candidate.state != ModelState::candidate)
    throw Conflict("v" + std::to_string(version) + " is " + model_state_name(candidate.state) + ", not a candidate");
  const auto snap = dataset::find_snapshot(db, dir, candidate.snapshot_id);
  const auto items = dataset::read_manifest(snap.manifest);
  // Champion and candidate scored now, on the same frozen test crops (the candidate's snapshot's), with
  // their own preprocessing: nothing a card says is trusted.
  const auto started = std::chrono::steady_clock::now();
  const auto champion = registry.champion();
  std::vector<CropScore> cand_scores, champ_scores;
  GateDecision decision;
  try {
    cand_scores = score_split(candidate.ref(), dir.root(), items, "test", threads, gate.precision == "bf16");
  } catch (const DivergedModel& e) { // a diverged candidate is rejected, never left pending
    decision.init = candidate.card.value("init", "scratch");
    decision.summary = std::string(e.what()) + ": rejected";
    return registry.record_decision(version, champion ? std::optional<int64_t>(champion->version) : std::nullopt,
                                    snap.id, decision, gate, actor);
  }
  if (champion) champ_scores = score_split(champion->ref(), dir.root(), items, "test", threads, gate.precision == "bf16");
  const auto scored = std::chrono::steady_clock::now();
  decision = promotion_gate(paired(cand_scores, champion ? &champ_scores : nullptr), champion.has_value(),
                            candidate.card.value("init", "scratch"), gate, registry.looks_per_source());
  const auto decided = std::chrono::steady_clock::now();
  core::logger("gate")->info("v{}: scored {} test crops in {:.1f} s, bootstrap in {:.2f} s: {}", version, cand_scores.size(),
                             std::chrono::duration<double>(scored - started).count(),
                             std::chrono::duration<double>(decided - scored).count(), decision.summary);
  return registry.record_decision(version, champion ? std::optional<int64_t>(champion->version) : std::nullopt, snap.id,
                                  decision, gate, actor);
}

namespace {

// Beats for a running round every few seconds on a thread of its own, until destroyed.
class Heartbeat {
public:
  Heartbeat(core::Database& db, const core::Clock& clock, int64_t round)
      : thread_([this, &db, &clock, round] {
          std::unique_lock<std::mutex> lock(mutex_);
          while (!wake_.wait_for(lock, std::chrono::seconds(10), [this] { return done_; })) {
            try {
              RoundStore(db).heartbeat(round, clock.now_ms());
            } catch (const std::exception&) { // a busy database skips one beat; the lease allows many
            }
          }
        }) {}
  ~Heartbeat() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_;
};

} // namespace

RoundResult run_round(core::Database& db, const core::DataDir& dir, const core::Clock& clock, const RoundOptions& o,
                      const std::function<bool()>& should_stop) {
  auto log = core::logger("scheduler");
  RoundResult r;
  r.round = RoundStore(db).start(o.trigger, clock.now_ms());
  const Heartbeat beat(db, clock, r.round); // a process killed mid-round stops beating
  r.state = "running";
  r.search_id = "round-" + std::to_string(r.round);
  try {
    dataset::refresh_splits(db, clock, o.dataset);
    const auto snap = dataset::create_snapshot(db, dir, clock, o.dataset);
    r.snapshot_id = snap.id;
    update_round(db, r, clock.now_ms());
    const auto items = dataset::read_manifest(snap.manifest);
    dataset::require_no_leaks(db, snap.id, items, o.dataset); // never train on a leak
    SearchOptions so;
    so.search_id = r.search_id;
    so.count = o.search_runs;
    so.sample = o.search_runs > 1;
    so.base = o.base;
    so.max_epochs = o.max_epochs;
    so.threads = o.threads;
    so.serving = o.serving;
    SearchContext ctx{db, clock, dir.root(), snap.id, items, should_stop, nullptr};
    const auto runs = run_search(ctx, so);
    const RunRecord* best = nullptr;
    for (const auto& run : runs)
      if (run.state == "done" && (!best || val_auc(run) > val_auc(*best))) best = &run;
    if (!best) throw Unavailable("no training run of the round finished");
    ModelRegistry registry(db, dir, clock);
    const auto candidate = registry.register_run(best->id, dir.run_folder(best->id));
    r.candidate = candidate.version;
    r.decision = gate_candidate(db, dir, clock, candidate.version, o.gate, o.threads, "scheduler");
    r.state = "done";
    log->info("round {}: candidate v{} {} ({})", r.round, candidate.version,
              r.decision->promoted ? "promoted" : "not promoted", r.decision->decision.value("summary", ""));
  } catch (const std::exception& e) {
    r.state = "failed";
    r.error = e.what();
    log->error("round {} failed: {}", r.round, e.what());
  }
  update_round(db, r, clock.now_ms());
  return r;
}

} // namespace curator::retrain
