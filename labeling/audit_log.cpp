#include "labeling/audit_log.hpp"

#include "core/database.hpp"

#include <SQLiteCpp/Statement.h>

namespace curator::labeling {

nlohmann::json AuditEntry::to_json() const {
  return {{"id", id},         {"at_ms", at_ms},         {"actor", actor},        {"action", action},
          {"entity", entity}, {"entity_id", entity_id}, {"old", old_value},      {"new", new_value}};
}

void append_audit(SQLite::Database& conn, int64_t at_ms, const std::string& actor, const std::string& action,
                  const std::string& entity, const std::string& entity_id, const std::string& old_value,
                  const std::string& new_value) {
  SQLite::Statement q(conn, "INSERT INTO audit_log(at_ms, actor, action, entity, entity_id, old_value, new_value) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?)");
  q.bind(1, at_ms), q.bind(2, actor), q.bind(3, action), q.bind(4, entity);
  auto opt = [&](int i, const std::string& v) {
    if (v.empty()) q.bind(i);
    else q.bind(i, v);
  };
  opt(5, entity_id), opt(6, old_value), opt(7, new_value);
  q.exec();
}

std::vector<AuditEntry> list_audit(core::Database& db, int limit, int64_t before_id, const std::string& entity,
                                   const std::string& entity_id) {
  auto conn = db.connect();
  SQLite::Statement q(*conn, "SELECT id, at_ms, actor, action, entity, COALESCE(entity_id, '') AS entity_id, "
                             "COALESCE(old_value, '') AS old_value, COALESCE(new_value, '') AS new_value FROM audit_log "
                             "WHERE (?1 <= 0 OR id < ?1) AND (?2 = '' OR entity = ?2) AND (?3 = '' OR entity_id = ?3) "
                             "ORDER BY id DESC LIMIT ?4");
  q.bind(1, before_id), q.bind(2, entity), q.bind(3, entity_id), q.bind(4, limit);
  std::vector<AuditEntry> out;
  while (q.executeStep()) {
    AuditEntry e;
    e.id = q.getColumn("id").getInt64();
    e.at_ms = q.getColumn("at_ms").getInt64();
    e.actor = q.getColumn("actor").getString();
    e.action = q.getColumn("action").getString();
    e.entity = q.getColumn("entity").getString();
    e.entity_id = q.getColumn("entity_id").getString();
    e.old_value = q.getColumn("old_value").getString();
    e.new_value = q.getColumn("new_value").getString();
    out.push_back(std::move(e));
  }
  return out;
}

} // namespace curator::labeling
