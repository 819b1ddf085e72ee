#include "retrain/model_registry.hpp"

#include "core/clock.hpp"
#include "core/data_dir.hpp"
#include "core/database.hpp"
#include "core/enum_names.hpp"
#include "core/error.hpp"
#include "core/random_token.hpp"
#include "labeling/audit_log.hpp"

#include <SQLiteCpp/Statement.h>

#include <fstream>

namespace curator::retrain {

constexpr core::EnumNames<ModelState, 4> kModelStates{
    "model state", {{{ModelState::candidate, "candidate"}, {ModelState::champion, "champion"},
                     {ModelState::rejected, "rejected"}, {ModelState::archived, "archived"}}}};

const char* model_state_name(ModelState state) { return kModelStates.name(state); }
ModelState parse_model_state(const std::string& text) { return kModelStates.parse(text); }

nlohmann::json ModelVersion::to_json() const {
  return {{"version", version}, {"run_id", run_id}, {"snapshot_id", snapshot_id}, {"state", model_state_name(state)},
          {"init", card.value("init", "scratch")}, {"card", card}, {"created_ms", created_ms},
          {"download_url", "/api/v1/models/" + std::to_string(version) + "/torchscript"}};
}

nlohmann::json PromotionRecord::to_json() const {
  return {{"id", id},
          {"candidate", candidate},
          {"champion", champion ? nlohmann::json(*champion) : nlohmann::json()},
          {"snapshot_id", snapshot_id},
          {"promoted", promoted},
          {"decision", decision},
          {"at_ms", at_ms}};
}

namespace {

constexpr const char* kColumns = "version, run_id, snapshot_id, dir, card, state, created_ms";

ModelVersion read_version(SQLite::Statement& q, const core::DataDir& dir) {
  ModelVersion v;
  v.version = q.getColumn("version").getInt64();
  v.run_id = q.getColumn("run_id").getString();
  v.snapshot_id = q.getColumn("snapshot_id").getString();
  v.dir = dir.root() / q.getColumn("dir").getString();
  v.card = nlohmann::json::parse(q.getColumn("card").getString());
  v.state = parse_model_state(q.getColumn("state").getString());
  v.created_ms = q.getColumn("created_ms").getInt64();
  return v;
}

std::optional<int64_t> current_champion(SQLite::Database& conn) {
  SQLite::Statement q(conn, "SELECT version FROM model_aliases WHERE alias = 'champion'");
  if (!q.executeStep()) return std::nullopt;
  return q.getColumn(0).getInt64();
}

void move_alias(SQLite::Database& conn, int64_t version, std::optional<int64_t> previous, const std::string& reason,
                const std::string& actor, int64_t now) {
  SQLite::Statement a(conn, "INSERT INTO model_aliases(alias, version, updated_ms) VALUES ('champion', ?1, ?2) "
                            "ON CONFLICT(alias) DO UPDATE SET version = ?1, updated_ms = ?2");
  a.bind(1, version), a.bind(2, now);
  a.exec();
  SQLite::Statement h(conn, "INSERT INTO model_alias_history(alias, version, previous, reason, actor, at_ms) "
                            "VALUES ('champion', ?, ?, ?, ?, ?)");
  h.bind(1, version);
  if (previous) h.bind(2, *previous);
  else h.bind(2);
  h.bind(3, reason), h.bind(4, actor), h.bind(5, now);
  h.exec();
  SQLite::Statement s(conn, "UPDATE model_versions SET state = CASE WHEN version = ?1 THEN 'champion' "
                            "WHEN state = 'champion' THEN 'archived' ELSE state END");
  s.bind(1, version);
  s.exec();
}

} // namespace

ModelRegistry::ModelRegistry(core::Database& db, const core::DataDir& dir, const core::Clock& clock)
    : db_(db), dir_(dir), clock_(clock) {}

ModelVersion ModelRegistry::register_run(const std::string& run_id, const std::filesystem::path& run_dir) {
  const auto ref = ModelRef::from_dir(run_dir); // throws NotFound without model.pt and card.json
  const auto card = nlohmann::json::parse(std::ifstream(run_dir / "card.json"));
  // Files first, in a private folder; the version exists once the folder is renamed and the row committed.
  const auto models = dir_.models();
  std::filesystem::create_directories(models);
  const auto staging = models / ("staging-" + core::random_hex(8));
  std::filesystem::create_directories(staging);
  std::filesystem::copy_file(run_dir / "model.pt", staging / "model.pt");
  export_torchscript(ref, staging / "torchscript.pt");
  auto conn = db_.connect();
  core::WriteTransaction txn(*conn);
  SQLite::Statement n(*conn, "SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions");
  n.executeStep();
  const int64_t version = n.getColumn(0).getInt64();
  nlohmann::json full = card;
  full["version"] = version;
  full["run_id"] = run_id;
  core::write_file_atomic(staging / "card.json", full.dump(1));
  const std::string rel = core::DataDir::model_rel(version);
  if (std::filesystem::exists(dir_.root() / rel)) std::filesystem::remove_all(dir_.root() / rel); // a crash's leftover
  std::filesystem::rename(staging, dir_.root() / rel);
  SQLite::Statement q(*conn, "INSERT INTO model_versions(version, run_id, snapshot_id, dir, card, created_ms) VALUES (?, ?, ?, ?, ?, ?)");
  q.bind(1, version), q.bind(2, run_id), q.bind(3, card.value("snapshot_id", "")), q.bind(4, rel), q.bind(5, full.dump());
  q.bind(6, clock_.now_ms());
  q.exec();
  labeling::append_audit(*conn, clock_.now_ms(), "scheduler", "model.register", "model", std::to_string(version), "",
                         "run " + run_id);
  txn.commit();
  return get(version);
}

std::optional<ModelVersion> ModelRegistry::champion() const {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, std::string("SELECT ") + kColumns +
                                 " FROM model_versions WHERE version = (SELECT version FROM model_aliases WHERE alias = 'champion')");
  if (!q.executeStep()) return std::nullopt;
  return read_version(q, dir_);
}

std::vector<ModelVersion> ModelRegistry::list() const {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, std::string("SELECT ") + kColumns + " FROM model_versions ORDER BY version");
  std::vector<ModelVersion> out;
  while (q.executeStep()) out.push_back(read_version(q, dir_));
  return out;
}

ModelVersion ModelRegistry::get(int64_t version) const {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, std::string("SELECT ") + kColumns + " FROM model_versions WHERE version = ?");
  q.bind(1, version);
  if (!q.executeStep()) throw NotFound("no model version " + std::to_string(version));
  return read_version(q, dir_);
}

PromotionRecord ModelRegistry::record_decision(int64_t candidate, std::optional<int64_t> champion,
                                               const std::string& snapshot_id, const GateDecision& decision,
                                               const GateConfig& gate, const std::string& actor) {
  auto conn = db_.connect();
  core::WriteTransaction txn(*conn);
  if (current_champion(*conn) != champion)
    throw Conflict("the champion changed while the candidate was evaluated; evaluate again");
  const int64_t now = clock_.now_ms();
  nlohmann::json j = decision.to_json();
  j["gate"] = gate.to_json();
  SQLite::Statement q(*conn, "INSERT INTO promotion_decisions(candidate, champion, snapshot_id, promoted, decision, at_ms) "
                             "VALUES (?, ?, ?, ?, ?, ?)");
  q.bind(1, candidate);
  if (champion) q.bind(2, *champion);
  else q.bind(2);
  q.bind(3, snapshot_id), q.bind(4, decision.promote ? 1 : 0), q.bind(5, j.dump()), q.bind(6, now);
  q.exec();
  const int64_t id = conn->getLastInsertRowid();
  if (decision.promote) {
    move_alias(*conn, candidate, champion, "promotion", actor, now);
  } else {
    SQLite::Statement r(*conn, "UPDATE model_versions SET state = 'rejected' WHERE version = ? AND state = 'candidate'");
    r.bind(1, candidate);
    r.exec();
  }
  std::string table = decision.summary;
  for (const auto& v : decision.sources) table += " | " + v.source + ": " + verdict_name(v.verdict) + ", " + v.reason;
  labeling::append_audit(*conn, now, actor, decision.promote ? "model.promote" : "model.reject", "model",
                         std::to_string(candidate), champion ? "champion v" + std::to_string(*champion) : "no champion",
                         table);
  txn.commit();
  PromotionRecord rec;
  rec.id = id, rec.candidate = candidate, rec.champion = champion, rec.snapshot_id = snapshot_id;
  rec.promoted = decision.promote, rec.decision = j, rec.at_ms = now;
  return rec;
}

ModelVersion ModelRegistry::rollback(const std::string& actor) {
  auto conn = db_.connect();
  core::WriteTransaction txn(*conn);
  const auto current = current_champion(*conn);
  if (!current) throw Conflict("there is no champion to roll back");
  SQLite::Statement h(*conn, "SELECT previous FROM model_alias_history WHERE alias = 'champion' AND version = ? "
                             "ORDER BY id DESC LIMIT 1");
  h.bind(1, *current);
  if (!h.executeStep() || h.getColumn(0).isNull()) throw Conflict("the champion has no predecessor to roll back to");
  const int64_t previous = h.getColumn(0).getInt64();
  // The predecessor of the restored champion stays its predecessor, so rollbacks can go further back.
  SQLite::Statement p(*conn, "SELECT previous FROM model_alias_history WHERE alias = 'champion' AND version = ? "
                             "ORDER BY id DESC LIMIT 1");
  p.bind(1, previous);
  std::optional<int64_t> before;
  if (p.executeStep() && !p.getColumn(0).isNull()) before = p.getColumn(0).getInt64();
  const int64_t now = clock_.now_ms();
  move_alias(*conn, previous, before, "rollback from v" + std::to_string(*current), actor, now);
  SQLite::Statement r(*conn, "UPDATE model_versions SET state = 'archived' WHERE version = ?");
  r.bind(1, *current);
  r.exec();
  labeling::append_audit(*conn, now, actor, "model.rollback", "model", std::to_string(previous),
                         "champion v" + std::to_string(*current), "champion v" + std::to_string(previous));
  txn.commit();
  return get(previous);
}

std::vector<PromotionRecord> ModelRegistry::decisions(int limit) const {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "SELECT id, candidate, champion, snapshot_id, promoted, decision, at_ms FROM "
                             "promotion_decisions ORDER BY id DESC LIMIT ?");
  q.bind(1, limit);
  std::vector<PromotionRecord> out;
  while (q.executeStep()) {
    PromotionRecord r;
    r.id = q.getColumn("id").getInt64();
    r.candidate = q.getColumn("candidate").getInt64();
    if (!q.getColumn("champion").isNull()) r.champion = q.getColumn("champion").getInt64();
    r.snapshot_id = q.getColumn("snapshot_id").getString();
    r.promoted = q.getColumn("promoted").getInt() != 0;
    r.decision = nlohmann::json::parse(q.getColumn("decision").getString());
    r.at_ms = q.getColumn("at_ms").getInt64();
    out.push_back(std::move(r));
  }
  return out;
}

std::map<std::string, int> ModelRegistry::looks_per_source() const {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "SELECT json_extract(s.value, '$.source') FROM promotion_decisions d, "
                             "json_each(d.decision, '$.sources') s WHERE json_extract(s.value, '$.judged')");
  std::map<std::string, int> out;
  while (q.executeStep()) out[q.getColumn(0).getString()] += 1;
  return out;
}

nlohmann::json ModelRegistry::status(SQLite::Database& conn) {
  nlohmann::json m;
  if (!conn.tableExists("model_versions")) return m;
  SQLite::Statement c(conn, "SELECT a.version AS champion, (SELECT COUNT(*) FROM model_versions) AS versions, "
                            "json_extract(v.card, '$.init') AS init FROM (SELECT 1) LEFT JOIN model_aliases a ON "
                            "a.alias = 'champion' LEFT JOIN model_versions v ON v.version = a.version");
  c.executeStep();
  m["champion"] = c.getColumn("champion").isNull() ? nlohmann::json() : nlohmann::json(c.getColumn("champion").getInt64());
  m["versions"] = c.getColumn("versions").getInt64();
  m["champion_init"] = c.getColumn("init").isNull() ? nlohmann::json() : nlohmann::json(c.getColumn("init").getString());
  SQLite::Statement w(conn, "SELECT id, state, COALESCE(warnings, '[]') AS warnings FROM training_runs ORDER BY "
                            "started_ms DESC, id DESC LIMIT 1");
  if (w.executeStep())
    m["last_run"] = {{"id", w.getColumn("id").getString()},
                     {"state", w.getColumn("state").getString()},
                     {"warnings", nlohmann::json::parse(w.getColumn("warnings").getString(), nullptr, false)}};
  SQLite::Statement t(conn, "SELECT COUNT(*) FROM training_runs WHERE state = 'running'");
  t.executeStep();
  m["training_now"] = t.getColumn(0).getInt64();
  return m;
}

} // namespace curator::retrain
