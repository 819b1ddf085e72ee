#pragma once
//! What the dashboard's pages and its JSON API share: training runs as JSON (whole or summarised),
//! filters from a query string, experiments (or any search's runs) as a cross-source matrix, and the
//! blind-review rule for the faces a run got most wrong. Stateless functions over ServiceContext;
//! thread-safe as the stores they read.
#include "retrain/search.hpp"
#include "serve/routes.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace curator::serve::dashboard {

/// The run filter of the query (?q=, experiment=, state=, backbone=, source=, snapshot=).
retrain::RunFilter run_filter(const Request& req);

/// A run's JSON. `full`: everything recorded, with its worst faces (metrics.<split>.<source>.worst)
/// limited to videos whose review is closed, each with an `image_url`; otherwise a summary for lists and
/// charts: no curves, and per split and source only the numbers (no ROC points, no faces).
nlohmann::json run_json(ServiceContext& ctx, const retrain::RunRecord& run, bool full);

/// An experiment by id: its record, the matrix computed from its runs as they stand, and its runs
/// (summaries). An id that is no experiment but a random search's id (or a run-id prefix shared by
/// runs) is shown the same way, its rows being the runs' training sources. Throws NotFound.
nlohmann::json experiment_json(ServiceContext& ctx, const std::string& id);

/// Experiments, newest first (id, kind, state, snapshot, sources, created_ms).
nlohmann::json experiments_json(ServiceContext& ctx);

/// Whether a model's score for `video` may be shown: its review is closed (confirmed or rejected).
bool review_closed(ServiceContext& ctx, int64_t video);

/// A metric as a number, or nothing: metrics[split][source][level][metric]["value"].
std::optional<double> metric(const nlohmann::json& metrics, const std::string& split, const std::string& source,
                             const std::string& level, const std::string& name = "auc");

} // namespace curator::serve::dashboard
