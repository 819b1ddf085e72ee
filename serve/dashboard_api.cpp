// The dashboard's JSON: GET /api/v1/runs, /api/v1/runs/{id}, /api/v1/experiments, /api/v1/experiments/{id},
// and the face crops its pages show, GET /media/faces/{video}/{track}/{frame}. Staff only (route table).
#include "serve/dashboard.hpp"

#include "core/error.hpp"
#include "ingest/ingest_service.hpp"
#include "labeling/review_queue.hpp"
#include "retrain/experiment.hpp"
#include "serve/handlers.hpp"

#include <set>

namespace curator::serve {

namespace dashboard {

retrain::RunFilter run_filter(const Request& req) {
  retrain::RunFilter f;
  auto get = [&](const char* name) { return req.query_param(name).value_or(""); };
  f.text = get("q"), f.experiment_id = get("experiment"), f.state = get("state"), f.backbone = get("backbone");
  f.train_source = get("source"), f.snapshot_id = get("snapshot");
  return f;
}

bool review_closed(ServiceContext& ctx, int64_t video) {
  const auto state = labeling::ReviewQueue::state_of(ctx.db, video);
  return state && (state->first == labeling::ReviewState::confirmed || state->first == labeling::ReviewState::rejected);
}

std::optional<double> metric(const nlohmann::json& metrics, const std::string& split, const std::string& source,
                             const std::string& level, const std::string& name) {
  const auto ptr = nlohmann::json::json_pointer("/" + split + "/" + source + "/" + level + "/" + name + "/value");
  if (!metrics.is_object() || !metrics.contains(ptr) || !metrics[ptr].is_number()) return std::nullopt;
  return metrics[ptr].get<double>();
}

namespace {

// Per split and source: the summary keeps the numbers, the full form filters the worst faces.
nlohmann::json metrics_json(ServiceContext& ctx, const nlohmann::json& metrics, bool full) {
  if (!metrics.is_object()) return metrics;
  nlohmann::json out = metrics;
  for (auto& [split, sources] : out.items()) {
    if (!sources.is_object()) continue;
    for (auto& [source, m] : sources.items()) {
      if (!m.is_object()) continue;
      if (!full) {
        m.erase("worst");
        for (auto& [level, numbers] : m.items())
          if (numbers.is_object()) numbers.erase("roc");
        continue;
      }
      if (!m.contains("worst")) continue;
      nlohmann::json shown = nlohmann::json::array();
      for (auto w : m["worst"]) {
        const int64_t video = w.value("video", int64_t{0});
        if (!review_closed(ctx, video)) continue; // blind review: no score for an open item
        w["image_url"] = "/media/faces/" + std::to_string(video) + "/" + std::to_string(w.value("track", 0)) + "/" +
                         std::to_string(w.value("frame", 0));
        shown.push_back(std::move(w));
      }
      m["worst"] = shown;
    }
  }
  return out;
}

// Test sources a run was evaluated on ("all" excluded).
void add_test_sources(const retrain::RunRecord& r, std::set<std::string>& out) {
  if (!r.metrics.is_object() || !r.metrics.contains("test") || !r.metrics["test"].is_object()) return;
  for (const auto& [source, m] : r.metrics["test"].items())
    if (source != "all") out.insert(source);
}

} // namespace

nlohmann::json run_json(ServiceContext& ctx, const retrain::RunRecord& run, bool full) {
  auto j = run.to_json();
  j["metrics"] = metrics_json(ctx, run.metrics, full);
  if (!full) j.erase("curves");
  j["epochs_run"] = run.epochs_run;
  j["page_url"] = "/runs/" + run.id;
  return j;
}

nlohmann::json experiment_json(ServiceContext& ctx, const std::string& id) {
  retrain::ExperimentStore store(ctx.db);
  const auto record = store.get(id);
  std::vector<retrain::RunRecord> runs;
  std::vector<std::string> sources;
  nlohmann::json out;
  if (record) {
    runs = retrain::experiment_runs(ctx.db, id);
    sources = record->options.value("sources", std::vector<std::string>{});
    out = record->to_json();
    out.erase("result");
  } else {
    // Any group of runs: a search's, or those whose ids start with `id-`.
    for (auto& r : retrain::list_runs(ctx.db))
      if (r.search_id == id || r.id.rfind(id + "-", 0) == 0) runs.push_back(std::move(r));
    if (runs.empty()) throw NotFound("no experiment or search " + id);
    std::set<std::string> tested, snapshots;
    for (const auto& r : runs) add_test_sources(r, tested), snapshots.insert(r.snapshot_id);
    sources.assign(tested.begin(), tested.end());
    out = {{"id", id}, {"kind", "search"}, {"state", "done"}, {"options", {{"sources", sources}}},
           {"snapshot_id", snapshots.size() == 1 ? nlohmann::json(*snapshots.begin()) : nlohmann::json()},
           {"created_ms", runs.front().started_ms}, {"finished_ms", runs.back().finished_ms}};
    for (const auto& r : runs)
      if (r.state == "running") out["state"] = "running";
  }
  // Rows: the sources alone, then "all" (a run on every source, or on none named: the default).
  std::vector<retrain::RunRecord> as_rows = runs;
  for (auto& r : as_rows)
    if (r.params.train_source.empty()) r.params.train_source = "all";
  out["matrix"] = retrain::cross_source_matrix(as_rows, sources);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : runs) list.push_back(run_json(ctx, r, false));
  out["runs"] = list;
  out["page_url"] = "/experiments/" + id;
  return out;
}

nlohmann::json experiments_json(ServiceContext& ctx) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : retrain::ExperimentStore(ctx.db).list())
    out.push_back({{"id", e.id}, {"kind", e.kind}, {"state", e.state}, {"snapshot_id", e.snapshot_id},
                   {"sources", e.options.value("sources", nlohmann::json::array())}, {"created_ms", e.created_ms},
                   {"page_url", "/experiments/" + e.id}});
  return out;
}

} // namespace dashboard

namespace dashboard_api {

Response runs(ServiceContext& ctx, const Request& req) {
  const bool summary = req.query_param("detail").value_or("") == "summary";
  const auto filter = dashboard::run_filter(req);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : summary ? retrain::list_run_summaries(ctx.db, filter) : retrain::list_runs(ctx.db, filter)) {
    auto j = dashboard::run_json(ctx, r, false);
    if (!summary) j["curves"] = r.curves; // lists carry no worst faces and no ROC points either way
    out.push_back(std::move(j));
  }
  return Response::json({{"runs", out}});
}

Response run(ServiceContext& ctx, const Request& req) {
  const auto r = retrain::find_run(ctx.db, req.captures.at(0));
  if (!r) throw NotFound("no training run " + req.captures.at(0));
  return Response::json(dashboard::run_json(ctx, *r, true));
}

Response experiments(ServiceContext& ctx, const Request&) {
  return Response::json({{"experiments", dashboard::experiments_json(ctx)}});
}

Response experiment(ServiceContext& ctx, const Request& req) {
  return Response::json(dashboard::experiment_json(ctx, req.captures.at(0)));
}

Response face_crop(ServiceContext& ctx, const Request& req) {
  const int64_t video = std::stoll(req.captures.at(0));
  const auto crop = ctx.ingest.videos().crop_path(video, std::stoi(req.captures.at(1)), std::stoi(req.captures.at(2)));
  if (!crop) throw NotFound("no such face");
  Response r = Response::file_content(ctx.data_dir.root() / *crop, "image/jpeg");
  r.headers.emplace_back("Cache-Control", "private, max-age=3600");
  return r;
}

} // namespace dashboard_api

} // namespace curator::serve
