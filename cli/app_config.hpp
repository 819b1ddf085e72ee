#pragma once
// Options shared by every subcommand that touches the data folder, and turning them into a Config.
#include "core/config.hpp"

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace curator::cli {

struct DataOptions {
  std::string config_file; ///< --config / CURATOR_CONFIG
  std::string data_dir;    ///< --data-dir (setting data.dir)
  std::string host;        ///< --host (server.host)
  std::string port;        ///< --port (server.port), text so the registry reports range errors
  std::vector<std::string> sets; ///< --set section.key=value
};

/// Adds --config, --data-dir, --host, --port and --set to a subcommand.
void add_data_options(CLI::App& command, DataOptions& options);

/// Resolves the effective configuration (defaults < file < env < flags) and applies its log settings.
/// Throws curator::ConfigError.
core::Config load_config(const DataOptions& options);

} // namespace curator::cli
