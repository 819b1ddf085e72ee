#pragma once
//! The status report shown by `curator status` and GET /api/v1/status: version, data folder, schema,
//! jobs by kind and state, models, whether a retraining round could promote
//! (database.promotion_outlook: {can_promote, reason, sentence}, promotion_outlook.hpp; the text shows the
//! sentence only when none can), the running daemon (if any) and the LibTorch runtime. Read-only: never
//! creates or migrates the database. Thread-safe.
#include "core/config.hpp"

#include <nlohmann/json.hpp>

namespace curator::serve {

/// `probe_daemon`: also ask a running daemon's /healthz (the CLI does; the daemon itself does not).
nlohmann::json status_report(const core::Config& config, bool probe_daemon);

/// Human-readable rendering of status_report().
std::string format_status(const nlohmann::json& report);

} // namespace curator::serve
