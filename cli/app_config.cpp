#include "cli/app_config.hpp"

#include "core/error.hpp"
#include "core/logging.hpp"
#include "core/setting_keys.hpp"

namespace curator::cli {

void add_data_options(CLI::App& command, DataOptions& o) {
  command.add_option("--config", o.config_file, "TOML configuration file (env CURATOR_CONFIG)");
  command.add_option("--data-dir", o.data_dir, "Data folder: database, blobs, crops, models (env CURATOR_DATA_DIR)");
  command.add_option("--host", o.host, "HTTP listen address (env CURATOR_HOST)");
  command.add_option("--port", o.port, "HTTP port, 0 for any free port (env CURATOR_PORT)");
  command.add_option("--set", o.sets, "Override any setting: --set section.key=value (repeatable)")
      ->allow_extra_args(false) // one value per --set, so positional arguments after it stay positional
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

core::Config load_config(const DataOptions& o) {
  core::ConfigSources sources;
  sources.env = core::ConfigSources::process_env();
  if (!o.config_file.empty()) sources.file = o.config_file;
  else if (auto it = sources.env.find("CURATOR_CONFIG"); it != sources.env.end() && !it->second.empty())
    sources.file = it->second;
  for (const auto& kv : o.sets) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw ConfigError("--set expects section.key=value, got '" + kv + "'");
    sources.flags.push_back({kv.substr(0, eq), kv.substr(eq + 1), "flag --set"});
  }
  if (!o.data_dir.empty()) sources.flags.push_back({"data.dir", o.data_dir, "flag --data-dir"});
  if (!o.host.empty()) sources.flags.push_back({"server.host", o.host, "flag --host"});
  if (!o.port.empty()) sources.flags.push_back({"server.port", o.port, "flag --port"});
  core::Config config = core::Config::load(core::default_settings(), sources);
  core::configure_logging(config.get(core::keys::log_level), config.get(core::keys::log_format));
  return config;
}

} // namespace curator::cli
