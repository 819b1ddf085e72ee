#include "retrain/search.hpp"

#include "core/clock.hpp"
#include "core/data_dir.hpp"
#include "core/database.hpp"
#include "core/error.hpp"
#include "core/logging.hpp"
#include "core/sha256.hpp"
#include "core/version.hpp"

#include <SQLiteCpp/Statement.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <map>
#include <random>
#include <set>

namespace curator::retrain {

nlohmann::json RunRecord::to_json() const {
  return {{"id", id},
          {"search_id", search_id.empty() ? nlohmann::json() : nlohmann::json(search_id)},
          {"search_index", search_index < 0 ? nlohmann::json() : nlohmann::json(search_index)},
          {"snapshot_id", snapshot_id}, {"state", state}, {"error", error.empty() ? nlohmann::json() : nlohmann::json(error)},
          {"init", init}, {"code_version", code_version}, {"params", params.to_json()}, {"curves", curves},
          {"metrics", metrics}, {"warnings", warnings}, {"started_ms", started_ms}, {"finished_ms", finished_ms},
          {"seconds", seconds}, {"experiment_id", experiment_id.empty() ? nlohmann::json() : nlohmann::json(experiment_id)}};
}

namespace {

// A run's columns; the record's two large JSON fields (curves, metrics) sit in between.
#define CURATOR_RUN_COLUMNS(CURVES_AND_METRICS)                                                                  \
  "id, COALESCE(search_id, '') AS search_id, COALESCE(search_index, -1) AS search_index, snapshot_id, params, "   \
  "state, COALESCE(error, '') AS error, COALESCE(init, '') AS init, " CURVES_AND_METRICS ", code_version, "      \
  "started_ms, COALESCE(finished_ms, 0) AS finished_ms, COALESCE(seconds, 0) AS seconds, COALESCE(warnings, "    \
  "'[]') AS warnings, COALESCE(experiment_id, '') AS experiment_id"
constexpr const char* kColumns = CURATOR_RUN_COLUMNS("COALESCE(curves, '[]') AS curves, COALESCE(metrics, '{}') AS metrics");
constexpr const char* kLightColumns = CURATOR_RUN_COLUMNS("'[]' AS curves, '{}' AS metrics");
#undef CURATOR_RUN_COLUMNS

RunRecord read(SQLite::Statement& q) {
  RunRecord r;
  r.id = q.getColumn("id").getString();
  r.search_id = q.getColumn("search_id").getString();
  r.search_index = q.getColumn("search_index").getInt();
  r.snapshot_id = q.getColumn("snapshot_id").getString();
  r.params = TrainParams::from_json(nlohmann::json::parse(q.getColumn("params").getString()));
  r.state = q.getColumn("state").getString();
  r.error = q.getColumn("error").getString();
  r.init = q.getColumn("init").getString();
  r.curves = nlohmann::json::parse(q.getColumn("curves").getString());
  r.metrics = nlohmann::json::parse(q.getColumn("metrics").getString());
  r.code_version = q.getColumn("code_version").getString();
  r.started_ms = q.getColumn("started_ms").getInt64();
  r.finished_ms = q.getColumn("finished_ms").getInt64();
  r.seconds = q.getColumn("seconds").getDouble();
  r.warnings = nlohmann::json::parse(q.getColumn("warnings").getString());
  r.experiment_id = q.getColumn("experiment_id").getString();
  r.epochs_run = static_cast<int>(r.curves.size());
  return r;
}

double log_uniform(std::mt19937_64& rng, double lo, double hi) {
  return std::exp(std::uniform_real_distribution<double>(std::log(lo), std::log(hi))(rng));
}

void upsert_start(core::Database& db, const RunRecord& r) {
  auto conn = db.connect();
  core::WriteTransaction txn(*conn);
  SQLite::Statement q(*conn, "INSERT INTO training_runs(id, search_id, search_index, snapshot_id, params, state, "
                             "code_version, started_ms, experiment_id) VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6, ?7, ?8) "
                             "ON CONFLICT(id) DO UPDATE SET state = 'running', error = NULL, code_version = ?6");
  q.bind(1, r.id);
  if (r.search_id.empty()) q.bind(2), q.bind(3);
  else q.bind(2, r.search_id), q.bind(3, r.search_index);
  q.bind(4, r.snapshot_id), q.bind(5, r.params.to_json().dump()), q.bind(6, r.code_version), q.bind(7, r.started_ms);
  if (r.experiment_id.empty()) q.bind(8);
  else q.bind(8, r.experiment_id);
  q.exec();
  txn.commit();
}

void record_end(core::Database& db, const std::string& id, const std::string& state, const std::string& error,
                const TrainResult* result, int64_t now) {
  auto conn = db.connect();
  core::WriteTransaction txn(*conn);
  SQLite::Statement q(*conn, "UPDATE training_runs SET state = ?, error = ?, init = ?, curves = ?, metrics = ?, "
                             "finished_ms = ?, seconds = ?, warnings = ? WHERE id = ?");
  q.bind(1, state);
  if (error.empty()) q.bind(2);
  else q.bind(2, error);
  if (result) {
    q.bind(3, result->init), q.bind(4, result->curves.dump()), q.bind(5, result->metrics.dump()), q.bind(7, result->seconds);
    q.bind(8, result->warnings.dump());
  } else {
    q.bind(3), q.bind(4), q.bind(5), q.bind(7), q.bind(8);
  }
  q.bind(6, now), q.bind(9, id);
  q.exec();
  txn.commit();
}

} // namespace

std::vector<RunRecord> list_runs(core::Database& db, const std::string& search_id) {
  auto conn = db.connect();
  SQLite::Statement q(*conn, std::string("SELECT ") + kColumns +
                                 " FROM training_runs WHERE (?1 = '' OR search_id = ?1) ORDER BY started_ms, search_index, id");
  q.bind(1, search_id);
  std::vector<RunRecord> out;
  while (q.executeStep()) out.push_back(read(q));
  return out;
}

std::vector<RunRecord> experiment_runs(core::Database& db, const std::string& experiment_id) {
  auto conn = db.connect();
  SQLite::Statement q(*conn, std::string("SELECT ") + kColumns +
                                 " FROM training_runs WHERE experiment_id = ? ORDER BY started_ms, id");
  q.bind(1, experiment_id);
  std::vector<RunRecord> out;
  while (q.executeStep()) out.push_back(read(q));
  return out;
}

std::optional<RunRecord> find_run(core::Database& db, const std::string& id) {
  auto conn = db.connect();
  SQLite::Statement q(*conn, std::string("SELECT ") + kColumns + " FROM training_runs WHERE id = ?");
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  return read(q);
}

bool RunFilter::matches(const RunRecord& r) const {
  auto has = [&](const std::string& field) { return field.find(text) != std::string::npos; };
  return (text.empty() || has(r.id) || has(r.search_id) || has(r.experiment_id)) &&
         (experiment_id.empty() || r.experiment_id == experiment_id) && (state.empty() || r.state == state) &&
         (backbone.empty() || r.params.backbone == backbone) &&
         (train_source.empty() || r.params.train_source == train_source) &&
         (snapshot_id.empty() || r.snapshot_id.rfind(snapshot_id, 0) == 0);
}

std::vector<RunRecord> list_runs(core::Database& db, const RunFilter& filter) {
  auto runs = list_runs(db);
  runs.erase(std::remove_if(runs.begin(), runs.end(), [&](const RunRecord& r) { return !filter.matches(r); }), runs.end());
  return runs;
}

std::vector<RunRecord> list_run_summaries(core::Database& db, const RunFilter& filter) {
  // SQLite's JSON functions pick the numbers out of the stored metrics: parsing every run's whole record
  // (curves, ROC points, faces) would cost most of a page's time at a thousand runs.
  auto conn = db.connect();
  SQLite::Statement q(*conn, std::string("SELECT ") + kLightColumns + ", COALESCE(json_array_length(curves), 0) AS "
                             "epochs_run FROM training_runs ORDER BY started_ms, search_index, id");
  std::vector<RunRecord> out;
  std::map<std::string, size_t> index;
  while (q.executeStep()) {
    auto r = read(q);
    r.epochs_run = q.getColumn("epochs_run").getInt();
    if (!filter.matches(r)) continue;
    index.emplace(r.id, out.size());
    out.push_back(std::move(r));
  }
  // One pass over each run's metrics: the test AUCs at every level, the validation AUC at video level
  // (what runs are ranked and brushed by).
  SQLite::Statement m(*conn, "SELECT r.id, sp.key, s.key, json_extract(s.value, '$.frames.auc'), json_extract(s.value, "
                             "'$.videos_mean.auc'), json_extract(s.value, '$.videos_confident.auc') FROM training_runs r, "
                             "json_each(r.metrics) sp, json_each(sp.value) s WHERE json_valid(r.metrics) AND sp.key IN "
                             "('test', 'val') AND sp.type = 'object'");
  while (m.executeStep()) {
    const auto it = index.find(m.getColumn(0).getString());
    if (it == index.end()) continue;
    const std::string split = m.getColumn(1).getString();
    auto& source = out[it->second].metrics[split][m.getColumn(2).getString()];
    const char* levels[] = {"frames", "videos_mean", "videos_confident"};
    for (int l = 0; l < 3; ++l)
      if (!m.getColumn(3 + l).isNull() && (split == "test" || l == 1))
        source[levels[l]]["auc"] = nlohmann::json::parse(m.getColumn(3 + l).getString(), nullptr, false);
  }
  return out;
}

std::string test_selection_warning(const RunRecord& run, const std::vector<RunRecord>& runs) {
  const auto mine = validation_auc(run);
  const RunRecord* best = nullptr;
  std::optional<double> best_auc;
  int compared = 0;
  for (const auto& r : runs) {
    if (r.id == run.id || r.state != "done" || r.snapshot_id != run.snapshot_id) continue;
    ++compared;
    const auto v = validation_auc(r);
    if (v && (!best_auc || *v > *best_auc)) best = &r, best_auc = v;
  }
  if (!best || (mine && *mine >= *best_auc)) return "";
  char buf[160];
  std::snprintf(buf, sizeof buf, "run %s is not the best of the %d other finished runs of its snapshot by validation "
                "AUC (%s has %.3f, this one ", run.id.c_str(), compared, best->id.c_str(), *best_auc);
  return std::string(buf) + (mine ? std::to_string(*mine).substr(0, 5) : std::string("none")) +
         "): if it was chosen by its test AUC, the test split the gate judges on is no longer unseen";
}

std::optional<double> validation_auc(const RunRecord& r) {
  const auto& metrics = r.metrics;
  if (!metrics.is_object() || !metrics.contains("val") || !metrics["val"].is_object()) return std::nullopt;
  double sum = 0;
  int n = 0;
  for (const auto& [source, m] : metrics["val"].items()) {
    if (source == "all" || !m.is_object() || !m.contains("videos_mean")) continue;
    const auto& v = m["videos_mean"].value("auc", nlohmann::json::object()).value("value", nlohmann::json());
    if (v.is_number()) sum += v.get<double>(), ++n;
  }
  if (n == 0) return std::nullopt;
  return sum / n;
}

void save_run(core::Database& db, const RunRecord& r) {
  auto conn = db.connect();
  core::WriteTransaction txn(*conn);
  SQLite::Statement q(*conn, "INSERT OR REPLACE INTO training_runs(id, search_id, search_index, snapshot_id, params, "
                             "state, error, init, curves, metrics, code_version, started_ms, finished_ms, seconds, "
                             "warnings, experiment_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                             "?14, ?15, ?16)");
  q.bind(1, r.id);
  if (r.search_id.empty()) q.bind(2), q.bind(3);
  else q.bind(2, r.search_id), q.bind(3, r.search_index);
  q.bind(4, r.snapshot_id), q.bind(5, r.params.to_json().dump()), q.bind(6, r.state);
  if (r.error.empty()) q.bind(7);
  else q.bind(7, r.error);
  q.bind(8, r.init), q.bind(9, r.curves.dump()), q.bind(10, r.metrics.dump()), q.bind(11, r.code_version);
  q.bind(12, r.started_ms), q.bind(13, r.finished_ms), q.bind(14, r.seconds), q.bind(15, r.warnings.dump());
  if (r.experiment_id.empty()) q.bind(16);
  else q.bind(16, r.experiment_id);
  q.exec();
  txn.commit();
}

TrainParams sample_params(const TrainParams& base, const std::vector<std::string>& sources, uint64_t seed, int index,
                          int max_epochs) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(index)};
  std::mt19937_64 rng(seq);
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  TrainParams p = base;
  const int batches[] = {16, 32, 64};
  p.batch = batches[pick(3)];
  p.epochs = 1 + pick(std::max(1, max_epochs));
  p.dropout = std::uniform_real_distribution<double>(0.0, 0.7)(rng);
  p.weight_decay = log_uniform(rng, 1e-6, 1e-2);
  p.lr = log_uniform(rng, 1e-5, 1e-2);
  p.schedule = pick(2) ? "one_cycle" : "constant";
  p.hidden = pick(2) ? 256 : 0;
  std::vector<std::string> choices = {"all"};
  choices.insert(choices.end(), sources.begin(), sources.end());
  p.train_source = choices[pick(static_cast<int>(choices.size()))];
  p.augment = pick(2) ? "mild" : "strong";
  const double sbi_shares[] = {0.0, 0.25, 0.5, 0.75};
  p.sbi = sbi_shares[pick(4)];
  p.pooling = pick(2) ? "mean_std" : "mean";
  p.seed = base.seed * 7919 + static_cast<uint64_t>(index);
  return p;
}

std::vector<RunRecord> run_search(const SearchContext& ctx, const SearchOptions& o) {
  if (o.count < 1) throw InvalidInput("a search needs at least one run");
  if (!o.sample && o.count != 1) throw InvalidInput("without sampling, a search is one run");
  if (o.search_id.empty() || o.search_id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos)
    throw InvalidInput("search ids hold only a-z, 0-9, '-' and '_'");
  auto log = core::logger("train");
  std::set<std::string> source_set;
  for (const auto& m : ctx.items)
    if (m.split == "train") source_set.insert(m.source);
  const std::vector<std::string> sources(source_set.begin(), source_set.end());
  const uint64_t seed = std::stoull(core::sha256_hex(o.search_id).substr(0, 12), nullptr, 16); // stable everywhere
  const auto started = std::chrono::steady_clock::now();
  auto out_of_time = [&] {
    return o.budget_seconds > 0 &&
           std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() >= o.budget_seconds;
  };
  auto stop_now = [&] { return out_of_time() || (ctx.should_stop && ctx.should_stop()); };
  for (int index = 0; index < o.count && !stop_now(); ++index) {
    const std::string id = o.count == 1 && !o.sample ? o.search_id : o.search_id + "-" + std::to_string(index);
    auto existing = find_run(ctx.db, id);
    if (existing && (existing->state == "done" || existing->state == "failed")) continue;
    RunRecord r;
    r.id = id;
    r.search_id = o.sample ? o.search_id : "";
    r.search_index = o.sample ? index : -1;
    r.snapshot_id = existing ? existing->snapshot_id : ctx.snapshot_id;
    if (existing && existing->snapshot_id != ctx.snapshot_id)
      throw InvalidInput("run " + id + " was started on snapshot " + existing->snapshot_id + "; resume it with that snapshot");
    r.params = existing ? existing->params : o.sample ? sample_params(o.base, sources, seed, index, o.max_epochs) : o.base;
    if (!existing && o.train_source) r.params.train_source = *o.train_source;
    r.experiment_id = o.experiment_id;
    r.code_version = core::code_version();
    r.started_ms = existing ? existing->started_ms : ctx.clock.now_ms();
    upsert_start(ctx.db, r);
    TrainJob job{ctx.data_root, ctx.snapshot_id, ctx.items, core::DataDir(ctx.data_root).run_folder(id), r.params, o.threads, 0, stop_now,
                 ctx.observe_loss};
    job.serving = o.serving;
    job.distributed = o.distributed;
    log->info("run {} ({}): {}", id, existing ? "resuming" : "starting", r.params.to_json().dump());
    try {
      const auto result = train_detector(job);
      record_end(ctx.db, id, result.state, "", &result, ctx.clock.now_ms());
    } catch (const std::exception& e) {
      log->error("run {} failed: {}", id, e.what());
      record_end(ctx.db, id, "failed", e.what(), nullptr, ctx.clock.now_ms());
    }
    if (ctx.on_run) ctx.on_run(*find_run(ctx.db, id));
  }
  return o.sample ? list_runs(ctx.db, o.search_id) : std::vector<RunRecord>{*find_run(ctx.db, o.search_id)};
}

} // namespace curator::retrain
