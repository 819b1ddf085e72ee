#pragma once
//! The append-only audit log: who changed what, when, from which value to which. The schema's triggers
//! refuse updates and deletes, and record every submission's creation and state change themselves;
//! code appends the rest (decisions, reopenings, accounts, promotions) inside the transaction that
//! makes the change. Thread-safe given a connection per thread.
#include <SQLiteCpp/Database.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace curator::core {
class Database;
}

namespace curator::labeling {

struct AuditEntry {
  int64_t id = 0, at_ms = 0;
  std::string actor, action, entity, entity_id, old_value, new_value;
  nlohmann::json to_json() const;
};

void append_audit(SQLite::Database& conn, int64_t at_ms, const std::string& actor, const std::string& action,
                  const std::string& entity, const std::string& entity_id, const std::string& old_value,
                  const std::string& new_value);

/// Newest first; `before_id` > 0 pages back; `entity`/`entity_id` filter when not empty.
std::vector<AuditEntry> list_audit(core::Database& db, int limit, int64_t before_id = 0, const std::string& entity = "",
                                   const std::string& entity_id = "");

} // namespace curator::labeling
