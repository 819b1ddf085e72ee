#include "retrain/experiment.hpp"

#include "core/clock.hpp"
#include "core/data_dir.hpp"
#include "core/database.hpp"
#include "core/error.hpp"
#include "core/logging.hpp"
#include "dataset/audit.hpp"
#include "dataset/snapshot.hpp"

#include <SQLiteCpp/Statement.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <set>
#include <sstream>

namespace curator::retrain {

namespace {

// Runs ids hold a-z, 0-9, '-' and '_' only.
std::string id_part(const std::string& text) {
  std::string out;
  for (char c : text) out += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  return out;
}

std::optional<double> number_at(const nlohmann::json& j, std::initializer_list<const char*> path) {
  const nlohmann::json* at = &j;
  for (const char* key : path) {
    if (!at->is_object() || !at->contains(key)) return std::nullopt;
    at = &(*at)[key];
  }
  return at->is_number() ? std::optional<double>(at->get<double>()) : std::nullopt;
}

// A cell's AUC over its runs: the mean, and as its interval the spread across the runs (seeds) when
// there are several (averaging the runs' bootstrap endpoints would not be an interval), or the run's own
// cluster-bootstrap interval when there is one. Every run's interval and the test units are kept.
nlohmann::json cell_interval(const std::vector<const RunRecord*>& runs, const std::string& test, const char* level) {
  std::vector<double> values;
  nlohmann::json intervals = nlohmann::json::array(), units;
  double low = 0, high = 0;
  for (const auto* r : runs) {
    const auto v = number_at(r->metrics, {"test", test.c_str(), level, "auc", "value"});
    const auto lo = number_at(r->metrics, {"test", test.c_str(), level, "auc", "low"});
    const auto hi = number_at(r->metrics, {"test", test.c_str(), level, "auc", "high"});
    if (!v || !lo || !hi) continue;
    values.push_back(*v);
    intervals.push_back({*v, *lo, *hi});
    low = *lo, high = *hi;
    const auto& m = r->metrics["test"][test][level];
    if (units.is_null() && m.contains("units")) units = m["units"];
  }
  if (values.empty()) return nullptr;
  double mean = 0;
  for (double v : values) mean += v;
  mean /= static_cast<double>(values.size());
  const bool seeds = values.size() > 1;
  if (seeds) {
    low = *std::min_element(values.begin(), values.end());
    high = *std::max_element(values.begin(), values.end());
  }
  return {{"auc", mean},
          {"low", low},
          {"high", high},
          {"interval", seeds ? "range over runs" : "95% unit bootstrap"},
          {"run_intervals", intervals},
          {"units", units},
          {"runs", values.size()}};
}

void check_options(const ExperimentOptions& o) {
  if (o.id.empty() || o.id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos)
    throw InvalidInput("experiment ids hold only a-z, 0-9, '-' and '_'");
  if (o.sources.size() < 2) throw InvalidInput("a cross-source experiment needs at least two sources");
  if (o.seeds < 1 || o.search < 0) throw InvalidInput("--seeds must be at least 1 and --search at least 0");
}

} // namespace

nlohmann::json ExperimentOptions::to_json() const {
  return {{"sources", sources}, {"seeds", seeds}, {"search", search}, {"base", base.to_json()}, {"max_epochs", max_epochs}};
}

nlohmann::json ExperimentRecord::to_json() const {
  return {{"id", id},          {"kind", kind},     {"snapshot_id", snapshot_id}, {"state", state},
          {"options", options}, {"result", result}, {"created_ms", created_ms},  {"finished_ms", finished_ms}};
}

void ExperimentStore::create(const ExperimentRecord& e) {
  auto conn = db_.connect();
  core::WriteTransaction txn(*conn);
  SQLite::Statement q(*conn, "INSERT INTO experiments(id, kind, snapshot_id, options, state, created_ms) "
                             "VALUES (?, ?, ?, ?, 'running', ?)");
  q.bind(1, e.id), q.bind(2, e.kind), q.bind(3, e.snapshot_id), q.bind(4, e.options.dump()), q.bind(5, e.created_ms);
  q.exec();
  txn.commit();
}

void ExperimentStore::finish(const std::string& id, const std::string& state, const nlohmann::json& result, int64_t now) {
  auto conn = db_.connect();
  core::WriteTransaction txn(*conn);
  SQLite::Statement q(*conn, "UPDATE experiments SET state = ?, result = ?, finished_ms = ? WHERE id = ?");
  q.bind(1, state), q.bind(2, result.dump()), q.bind(3, now), q.bind(4, id);
  q.exec();
  txn.commit();
}

namespace {
constexpr const char* kColumns = "id, kind, snapshot_id, options, state, COALESCE(result, 'null') AS result, "
                                 "created_ms, COALESCE(finished_ms, 0) AS finished_ms";
ExperimentRecord read(SQLite::Statement& q) {
  ExperimentRecord e;
  e.id = q.getColumn("id").getString();
  e.kind = q.getColumn("kind").getString();
  e.snapshot_id = q.getColumn("snapshot_id").getString();
  e.options = nlohmann::json::parse(q.getColumn("options").getString());
  e.state = q.getColumn("state").getString();
  e.result = nlohmann::json::parse(q.getColumn("result").getString());
  e.created_ms = q.getColumn("created_ms").getInt64();
  e.finished_ms = q.getColumn("finished_ms").getInt64();
  return e;
}
} // namespace

std::optional<ExperimentRecord> ExperimentStore::get(const std::string& id) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, std::string("SELECT ") + kColumns + " FROM experiments WHERE id = ?");
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  return read(q);
}

std::vector<ExperimentRecord> ExperimentStore::list() {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, std::string("SELECT ") + kColumns + " FROM experiments ORDER BY created_ms DESC, id");
  std::vector<ExperimentRecord> out;
  while (q.executeStep()) out.push_back(read(q));
  return out;
}

nlohmann::json cross_source_matrix(const std::vector<RunRecord>& runs, const std::vector<std::string>& sources) {
  std::vector<std::string> rows = sources;
  rows.push_back("all");
  nlohmann::json cells = nlohmann::json::object();
  for (const auto& train : rows) {
    std::vector<const RunRecord*> cell;
    for (const auto& r : runs)
      if (r.state == "done" && r.params.train_source == train) cell.push_back(&r);
    for (const auto& test : sources)
      cells[train][test] = {{"video", cell_interval(cell, test, "videos_mean")},
                            {"frame", cell_interval(cell, test, "frames")},
                            {"runs", cell.size()}};
  }
  return {{"rows", rows}, {"columns", sources}, {"cells", cells}};
}

std::string format_matrix(const nlohmann::json& m) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(3);
  out << "video-level AUC, mean over a cell's runs [range over runs, or the one run's 95% unit-bootstrap interval] "
         "(test units with reals/with fakes); rows: trained on, columns: tested on\n"
      << std::left << std::setw(16) << "";
  for (const auto& c : m["columns"]) out << std::setw(32) << c.get<std::string>();
  out << "\n";
  for (const auto& r : m["rows"]) {
    out << std::setw(16) << r.get<std::string>();
    for (const auto& c : m["columns"]) {
      const auto& v = m["cells"][r.get<std::string>()][c.get<std::string>()]["video"];
      std::ostringstream cell;
      cell << std::fixed << std::setprecision(3);
      if (v.is_null()) cell << "-";
      else {
        cell << v["auc"].get<double>() << " [" << v["low"].get<double>() << ", " << v["high"].get<double>() << "]";
        if (v.contains("units") && v["units"].is_object())
          cell << " (" << v["units"].value("with_reals", 0) << "/" << v["units"].value("with_fakes", 0) << ")";
      }
      out << std::setw(32) << cell.str();
    }
    out << "\n";
  }
  return out.str();
}

ExperimentRecord run_cross_source(const ExperimentContext& ctx, const ExperimentOptions& o) {
  check_options(o);
  ExperimentStore store(ctx.db);
  auto log = core::logger("train");
  auto existing = store.get(o.id);
  if (existing && existing->options != o.to_json())
    throw InvalidInput("experiment " + o.id + " was started with other options: " + existing->options.dump());
  dataset::SnapshotInfo snap;
  if (existing) {
    snap = dataset::find_snapshot(ctx.db, ctx.dir, existing->snapshot_id);
    log->info("resuming experiment {} on snapshot {}", o.id, snap.id);
  } else {
    dataset::refresh_splits(ctx.db, ctx.clock, ctx.dataset);
    snap = dataset::create_snapshot(ctx.db, ctx.dir, ctx.clock, ctx.dataset);
  }
  const auto items = dataset::read_manifest(snap.manifest);
  dataset::require_no_leaks(ctx.db, snap.id, items, ctx.dataset);
  std::set<std::string> present;
  for (const auto& m : items) present.insert(m.source);
  for (const auto& s : o.sources)
    if (!present.count(s)) throw InvalidInput("snapshot " + snap.id + " has no crops from source '" + s + "'");
  if (!existing)
    store.create({o.id, "cross-source", snap.id, "running", o.to_json(), nullptr, ctx.clock.now_ms(), 0});
  std::vector<dataset::ManifestItem> used;
  for (const auto& m : items)
    if (std::count(o.sources.begin(), o.sources.end(), m.source)) used.push_back(m);

  const auto started = std::chrono::steady_clock::now();
  auto out_of_time = [&] {
    return o.budget_seconds > 0 &&
           std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() >= o.budget_seconds;
  };
  SearchContext sc{ctx.db, ctx.clock, ctx.dir.root(), snap.id, used,
                   [&] { return out_of_time() || (ctx.should_stop && ctx.should_stop()); }, ctx.on_run};
  std::vector<std::string> cells = o.sources;
  cells.push_back("all");
  bool complete = true;
  for (const auto& cell : cells) {
    SearchOptions so;
    so.base = o.base;
    so.base.train_source = cell;
    so.max_epochs = o.max_epochs, so.threads = o.threads, so.experiment_id = o.id;
    so.budget_seconds = 0; // the experiment's own clock decides (should_stop)
    so.train_source = cell;
    if (o.search > 0) {
      so.search_id = o.id + "-" + id_part(cell), so.count = o.search, so.sample = true;
      const auto runs = run_search(sc, so);
      complete &= static_cast<int>(runs.size()) == o.search;
    } else {
      for (int seed = 1; seed <= o.seeds && !sc.should_stop(); ++seed) {
        so.search_id = o.id + "-" + id_part(cell) + "-s" + std::to_string(seed), so.sample = false, so.count = 1;
        so.base.seed = static_cast<uint64_t>(seed);
        run_search(sc, so);
      }
    }
    if (sc.should_stop()) break;
  }
  const auto runs = experiment_runs(ctx.db, o.id);
  const int expected = static_cast<int>(cells.size()) * (o.search > 0 ? o.search : o.seeds);
  int finished = 0;
  for (const auto& r : runs) finished += r.state == "done" || r.state == "failed";
  complete = complete && finished >= expected;
  const auto matrix = cross_source_matrix(runs, o.sources);
  store.finish(o.id, complete ? "done" : "stopped", matrix, ctx.clock.now_ms());
  return *store.get(o.id);
}

} // namespace curator::retrain
