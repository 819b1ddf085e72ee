#pragma once
//! Effective configuration: each registered setting resolved from, in rising precedence, its default,
//! the TOML file, the environment (CURATOR_...), and command-line flags. Every value remembers its origin
//! so `curator config` can show it. A Config is immutable once loaded and safe to share between threads.
#include "core/setting_keys.hpp"
#include "core/settings.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace curator::core {

/// A value given on the command line: (setting, text, origin such as "flag --port").
struct ConfigOverride {
  std::string name;
  std::string value;
  std::string origin = "flag";
};

struct ConfigSources {
  std::optional<std::filesystem::path> file;            ///< TOML file; must exist when given
  std::map<std::string, std::string> env;               ///< environment snapshot (only CURATOR_* is read)
  std::vector<ConfigOverride> flags;                    ///< later wins

  /// The current process environment.
  static std::map<std::string, std::string> process_env();
};

class Config {
public:
  struct Entry {
    const SettingSpec* spec;
    SettingValue value;
    std::string text;   ///< value as text, normalised
    std::string origin; ///< "default", "file <path>", "env CURATOR_X", "flag --port"
  };

  /// Throws ConfigError on an unreadable file, a TOML syntax error, an unknown setting or a bad value.
  static Config load(const SettingsRegistry& registry, const ConfigSources& sources);
  /// Defaults only, plus overrides; for tests and tools.
  static Config defaults(const SettingsRegistry& registry,
                         const std::vector<std::pair<std::string, std::string>>& overrides = {});

  /// A setting by its typed key (core/setting_keys.hpp): the way code reads settings.
  int64_t get(SettingKey<SettingType::integer> key) const { return get_int(key.name); }
  double get(SettingKey<SettingType::number> key) const { return get_double(key.name); }
  bool get(SettingKey<SettingType::boolean> key) const { return get_bool(key.name); }
  const std::string& get(SettingKey<SettingType::string> key) const { return get_string(key.name); }
  std::filesystem::path get(SettingKey<SettingType::path> key) const { return get_path(key.name); }

  /// By name, for tools that walk the catalog; a name not registered throws std::logic_error.
  int64_t get_int(const std::string& name) const;
  double get_double(const std::string& name) const;
  bool get_bool(const std::string& name) const;
  const std::string& get_string(const std::string& name) const;
  /// A path setting. A relative path resolves against install_root(), so the daemon finds its models and
  /// charts whatever directory it was started from; data.dir alone stays relative to the working
  /// directory, as a folder named on a command line does.
  std::filesystem::path get_path(const std::string& name) const;
  /// $CURATOR_HOME when set, else the source tree this binary was built from (ops/setup.sh puts models/
  /// and vendor/ there).
  static std::filesystem::path install_root();
  /// An entry's value as the program uses it: path settings resolved (see get_path), others as `text`.
  std::string effective_text(const Entry& entry) const;

  const std::vector<Entry>& entries() const { return entries_; }
  const Entry& entry(const std::string& name) const;

private:
  std::vector<Entry> entries_;
};

/// A documented TOML file with every setting at its default (what ops/curator.toml holds).
std::string example_toml(const SettingsRegistry& registry);

} // namespace curator::core
