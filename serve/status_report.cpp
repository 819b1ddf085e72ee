#include "serve/status_report.hpp"

#include "core/data_dir.hpp"
#include "core/database.hpp"
#include "core/job_queue.hpp"
#include "core/migrations.hpp"
#include "core/setting_keys.hpp"
#include "dataset/stats.hpp"
#include "ingest/submission.hpp"
#include "retrain/model_registry.hpp"
#include "retrain/promotion_outlook.hpp"
#include "retrain/round_store.hpp"
#include "retrain/torch_runtime.hpp"
#include "serve/daemon_runs.hpp"
#include "core/worker_registry.hpp"

#include <httplib.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>

namespace curator::serve {

namespace {

// Whether a retraining round could promote now; an unreadable configuration is reported, not thrown.
nlohmann::json outlook_status(const core::Config& config, SQLite::Database& conn) {
  try {
    return retrain::promotion_outlook(config, conn).to_json();
  } catch (const std::exception& e) {
    return {{"error", e.what()}};
  }
}

nlohmann::json database_status(const core::Config& config, const core::DataDir& dir) {
  nlohmann::json db = {{"path", dir.database().string()}, {"exists", std::filesystem::exists(dir.database())}};
  if (!db["exists"]) {
    db["note"] = "no database yet: `curator migrate` or `curator serve` creates it";
    return db;
  }
  SQLite::Database conn(dir.database().string(), SQLite::OPEN_READONLY);
  conn.setBusyTimeout(5000);
  auto schema = core::schema_status(conn);
  db["schema_version"] = schema.current;
  db["latest_version"] = schema.latest;
  db["up_to_date"] = schema.up_to_date();
  if (conn.tableExists("jobs")) {
    nlohmann::json by_kind = nlohmann::json::object();
    nlohmann::json totals = {{"queued", 0}, {"leased", 0}, {"done", 0}, {"dead", 0}};
    for (const auto& c : core::JobQueue::counts(conn)) {
      by_kind[c.kind][core::job_state_name(c.state)] = c.count;
      totals[core::job_state_name(c.state)] = totals[core::job_state_name(c.state)].get<int64_t>() + c.count;
    }
    db["jobs"] = {{"total", totals}, {"by_kind", by_kind}};
  }
  if (conn.tableExists("submissions")) db["submissions"] = ingest::SubmissionStore::state_counts(conn);
  if (conn.tableExists("model_versions")) {
    auto models = retrain::ModelRegistry::status(conn);
    if (const auto round = retrain::RoundStore::last(conn))
      models["last_round"] = {{"round", round->round}, {"trigger", round->trigger}, {"state", round->state},
                              {"started_ms", round->started_ms}, {"error", round->error}};
    db["models"] = models;
  }
  if (conn.tableExists("dataset_videos")) db["dataset"] = dataset::split_counts(conn);
  if (conn.tableExists("model_versions")) db["promotion_outlook"] = outlook_status(config, conn);
  if (const auto run = DaemonRuns::last(conn)) db["last_daemon_run"] = run->to_json();
  nlohmann::json workers = nlohmann::json::array();
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
  for (const auto& w : core::WorkerRegistry::list(conn, now_ms, config.get(core::keys::jobs_lease_seconds) * 1000))
    workers.push_back(w.to_json());
  db["workers"] = workers;
  return db;
}

nlohmann::json daemon_status(const core::DataDir& dir, bool probe) {
  nlohmann::json d = {{"running", false}};
  std::ifstream in(dir.daemon_file());
  if (!in) return d;
  auto info = nlohmann::json::parse(in, nullptr, false);
  if (info.is_discarded() || !info.contains("pid")) return d;
  const auto pid = info["pid"].get<int>();
  const bool alive = ::kill(pid, 0) == 0;
  d = info;
  d["running"] = alive;
  if (alive && probe) {
    httplib::Client client(info.value("host", "127.0.0.1"), info.value("port", 0));
    client.set_connection_timeout(1);
    client.set_read_timeout(2);
    auto res = client.Get("/healthz");
    d["healthy"] = res && res->status == 200;
  }
  return d;
}

} // namespace

nlohmann::json status_report(const core::Config& config, bool probe_daemon) {
  core::DataDir dir(config.get(core::keys::data_dir));
  nlohmann::json report;
  report["version"] = CURATOR_VERSION;
  report["data_dir"] = std::filesystem::absolute(dir.root()).string();
  try {
    report["database"] = database_status(config, dir);
  } catch (const std::exception& e) {
    report["database"] = {{"path", dir.database().string()}, {"error", e.what()}};
  }
  report["daemon"] = daemon_status(dir, probe_daemon);
  const auto models = config.get(core::keys::faces_models_dir);
  report["face_models"] = {{"dir", models.string()},
                           {"present", std::filesystem::exists(models / "model" / "ssd_mobilenetv1_model-weights_manifest.json")}};
  report["torch"] = retrain::torch_runtime_info().to_json();
  report["torch"]["configured_threads"] = config.get(core::keys::torch_threads);
  return report;
}

std::string format_status(const nlohmann::json& r) {
  std::ostringstream out;
  out << "curator " << r["version"].get<std::string>() << "\n";
  out << "data folder:  " << r["data_dir"].get<std::string>() << "\n";
  const auto& db = r["database"];
  if (db.contains("error")) {
    out << "database:     ERROR " << db["error"].get<std::string>() << "\n";
  } else if (!db["exists"].get<bool>()) {
    out << "database:     none yet (" << db["note"].get<std::string>() << ")\n";
  } else {
    out << "database:     " << db["path"].get<std::string>() << ", schema " << db["schema_version"] << "/"
        << db["latest_version"] << (db["up_to_date"].get<bool>() ? " (up to date)" : " (run `curator migrate`)") << "\n";
    if (db.contains("jobs")) {
      const auto& t = db["jobs"]["total"];
      out << "jobs:         " << t["queued"] << " queued, " << t["leased"] << " running, " << t["done"] << " done, "
          << t["dead"] << " dead\n";
      for (const auto& [kind, states] : db["jobs"]["by_kind"].items()) out << "  " << kind << ": " << states.dump() << "\n";
    }
    if (db.contains("submissions")) out << "submissions:  " << db["submissions"].dump() << "\n";
    if (db.contains("dataset")) out << "dataset:      " << db["dataset"].dump() << "\n";
    if (db.contains("models")) out << "models:       " << db["models"].dump() << "\n";
    for (const auto& w : db.value("workers", nlohmann::json::array()))
      out << "worker:       " << w["host"].get<std::string>() << " pid " << w["pid"] << ", "
          << (w["alive"].get<bool>() ? "running" : w["stopped_ms"].is_null() ? "gone (no heartbeat)" : "stopped")
          << ", kinds " << w["kinds"].dump() << ", jobs now " << w["current_jobs"].dump() << "\n";
    const auto& outlook = db.value("promotion_outlook", nlohmann::json::object());
    if (outlook.contains("error")) out << "promotion:    cannot tell: " << outlook["error"].get<std::string>() << "\n";
    else if (!outlook.value("can_promote", true)) out << "promotion:    " << outlook.value("sentence", "") << "\n";
  }
  const auto& d = r["daemon"];
  if (d["running"].get<bool>()) {
    out << "daemon:       running, pid " << d["pid"] << " on " << d.value("host", "?") << ":" << d.value("port", 0);
    if (d.contains("healthy")) out << (d["healthy"].get<bool>() ? " (healthy)" : " (NOT answering /healthz)");
    out << "\n";
  } else {
    out << "daemon:       not running\n";
  }
  out << "face models:  " << r["face_models"]["dir"].get<std::string>()
      << (r["face_models"]["present"].get<bool>() ? " (present)" : " (missing: run ops/setup.sh)") << "\n";
  out << "torch:        " << r["torch"]["version"].get<std::string>() << ", " << r["torch"]["configured_threads"]
      << " threads configured, "
      << r["torch"]["device"].get<std::string>() << "\n";
  return out.str();
}

} // namespace curator::serve
