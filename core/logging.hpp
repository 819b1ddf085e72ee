#pragma once
//! Logging: one spdlog logger per component ("jobs", "http", "daemon", ...), all writing to stderr through
//! one shared sink, as human text or as one JSON object a line. configure_logging() may be called again
//! (e.g. after the config is loaded); loggers created before or after pick up the settings. Thread-safe.
#include <memory>
#include <string>

namespace spdlog {
class logger;
}

namespace curator::core {

/// level: trace|debug|info|warn|error|critical|off; format: text|json.
void configure_logging(const std::string& level, const std::string& format);

/// The logger of a component, created on first use.
std::shared_ptr<spdlog::logger> logger(const std::string& component);

} // namespace curator::core
