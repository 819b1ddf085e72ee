#pragma once
//! The settings registry: every tunable of curator is declared once here (name, type, default, range,
//! description, environment variable). Config (config.hpp) resolves values against a registry; nothing
//! reads settings any other way. A registry is immutable after construction and safe to share.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace curator::core {

enum class SettingType { string, integer, number, boolean, path };
const char* setting_type_name(SettingType type);

using SettingValue = std::variant<std::string, int64_t, double, bool>;

struct SettingSpec {
  std::string name;          ///< dotted: "<section>.<key>"; the TOML table and key
  SettingType type = SettingType::string;
  std::string default_text;  ///< default in the same text form a user would write
  std::string description;
  std::optional<double> min; ///< inclusive bounds for integer/number settings
  std::optional<double> max;
  std::vector<std::string> choices; ///< allowed values for enumerated string settings
  std::string env;           ///< environment variable; derived as CURATOR_<SECTION>_<KEY> when empty

  /// "[0, 65535]", "one of: text, json", or "" when anything of the type goes.
  std::string allowed() const;
};

class SettingsRegistry {
public:
  explicit SettingsRegistry(std::vector<SettingSpec> specs);

  const std::vector<SettingSpec>& all() const { return specs_; }
  const SettingSpec* find(const std::string& name) const;

  /// Parses and range-checks a textual value. Throws ConfigError naming the setting, the value, the
  /// allowed range and `origin` (where the value came from).
  SettingValue parse(const SettingSpec& spec, const std::string& text, const std::string& origin) const;

private:
  std::vector<SettingSpec> specs_;
};

/// The registry of every setting curator knows (settings_catalog.cpp).
const SettingsRegistry& default_settings();

} // namespace curator::core
