#pragma once
//! Training runs as the service records them, and the random search over the seed study's space.
//! Every run gets a folder under <data>/runs/<id> and a row in training_runs (parameters, snapshot id,
//! code version, per-epoch curves, per-source metrics, duration). A search is resumable: its runs are
//! numbered, each index's parameters come from (search seed, index) only, finished runs are skipped and
//! a run that was interrupted resumes from its checkpoint. Budgets: a count and a wall-clock time.
//! Thread-safe as far as the database goes; one search or run at a time per process (LibTorch).
#include "retrain/training.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace curator::core {
class Clock;
class Database;
} // namespace curator::core

namespace curator::retrain {

struct RunRecord {
  std::string id, search_id, snapshot_id, state, error, init, code_version, experiment_id;
  int search_index = -1;
  int epochs_run = 0; ///< finished epochs (the length of `curves` in a full record)
  TrainParams params;
  nlohmann::json curves, metrics;
  nlohmann::json warnings = nlohmann::json::array();
  int64_t started_ms = 0, finished_ms = 0;
  double seconds = 0;
  nlohmann::json to_json() const;
};

std::vector<RunRecord> list_runs(core::Database& db, const std::string& search_id = "");
/// The runs of one experiment, oldest first.
std::vector<RunRecord> experiment_runs(core::Database& db, const std::string& experiment_id);
std::optional<RunRecord> find_run(core::Database& db, const std::string& id);

/// What the dashboard filters runs by; empty fields match everything. `text` matches a part of the run,
/// search or experiment id.
struct RunFilter {
  std::string text, experiment_id, state, backbone, train_source, snapshot_id;
  bool matches(const RunRecord& r) const;
};
/// The runs `filter` matches, oldest first.
std::vector<RunRecord> list_runs(core::Database& db, const RunFilter& filter);
/// The same runs, light: no curves, and per test and validation source only the AUCs ({value, low,
/// high}) of frames, videos_mean and videos_confident: what lists and charts of many runs show.
std::vector<RunRecord> list_run_summaries(core::Database& db, const RunFilter& filter);
/// How runs are ranked, everywhere (rounds, the dashboard, `model register`): the mean over sources of
/// the video-level validation AUC ("all" excluded); nullopt without one. Test metrics are the record,
/// never a ranking: the gate reuses the test split.
std::optional<double> validation_auc(const RunRecord& r);
/// Empty, or one sentence when `run` is not the best finished run of its snapshot by validation_auc
/// among `runs` (so it was picked some other way, e.g. by its test AUC, which spends the test split the
/// gate then judges on): what `model register` warns about.
std::string test_selection_warning(const RunRecord& run, const std::vector<RunRecord>& runs);
/// Writes a finished run's row as it is (replacing one with its id): for importing runs recorded
/// elsewhere and for fixtures. Training records its own runs.
void save_run(core::Database& db, const RunRecord& run);

/// The seed's space: batch size, epochs (1..max_epochs), dropout, weight decay, maximum learning rate,
/// schedule on/off, hidden layer on/off, training source (each alone or all). Other fields come from
/// `base`. Deterministic in (seed, index).
TrainParams sample_params(const TrainParams& base, const std::vector<std::string>& sources, uint64_t seed, int index,
                          int max_epochs);

struct SearchOptions {
  std::string search_id;      ///< names the search (and its seed); reuse it to resume
  int count = 1;              ///< runs in the search
  double budget_seconds = 0;  ///< 0: no time limit; else stop starting runs (and stop the current one after an epoch)
  TrainParams base;
  bool sample = true;         ///< false: run `base` as it is (count must be 1)
  int max_epochs = 10;
  int threads = 2;
  std::string experiment_id;                ///< recorded on every run (empty: none)
  std::optional<std::string> train_source; ///< fixes the sampled parameters' training source
  nlohmann::json serving;                   ///< each run's card's serving settings (TrainJob::serving)
  DistributedOptions distributed;           ///< rank 0 of a distributed run (TrainJob::distributed)
};

struct SearchContext {
  core::Database& db;
  const core::Clock& clock;
  std::filesystem::path data_root;
  std::string snapshot_id;
  std::vector<dataset::ManifestItem> items;
  std::function<bool()> should_stop; ///< shutdown: checked between epochs and runs
  std::function<void(const RunRecord&)> on_run; ///< after every run (for progress output)
  std::function<double(int64_t, double)> observe_loss = {}; ///< test seam, passed to every run (TrainJob)
};

/// Runs what is left of the search; returns its runs (all of them, in index order).
std::vector<RunRecord> run_search(const SearchContext& ctx, const SearchOptions& options);

} // namespace curator::retrain
