#include "core/config.hpp"

#include "core/error.hpp"

#include <cstdlib>
#include <toml++/toml.h>

#include <sstream>
#include <stdexcept>

extern char** environ;

namespace curator::core {

namespace {

std::string canonical_text(const SettingValue& value) {
  struct Visitor {
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const {
      std::ostringstream out;
      out << v;
      return out.str();
    }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
  };
  return std::visit(Visitor{}, value);
}

// TOML scalars become the same text a user would type in an environment variable.
std::optional<std::string> toml_scalar_text(const toml::node& node) {
  if (auto s = node.value<std::string>(); s && node.is_string()) return *s;
  if (node.is_integer()) return std::to_string(*node.value<int64_t>());
  if (node.is_floating_point()) {
    std::ostringstream out;
    out.precision(17);
    out << *node.value<double>();
    return out.str();
  }
  if (node.is_boolean()) return *node.value<bool>() ? "true" : "false";
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> read_toml(const std::filesystem::path& file) {
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << "config file " << file.string() << ": " << e.description() << " at line " << e.source().begin.line
        << ", column " << e.source().begin.column;
    throw ConfigError(msg.str());
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (auto&& [section, node] : root) {
    const auto* table = node.as_table();
    if (!table)
      throw ConfigError("config file " + file.string() + ": '" + std::string(section.str()) +
                        "' must be a [section] table; settings are written as [section] key = value");
    for (auto&& [key, value] : *table) {
      std::string name = std::string(section.str()) + "." + std::string(key.str());
      auto text = toml_scalar_text(value);
      if (!text) throw ConfigError("config file " + file.string() + ": setting '" + name + "' must be a scalar");
      out.emplace_back(name, *text);
    }
  }
  return out;
}

} // namespace

std::map<std::string, std::string> ConfigSources::process_env() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos && kv.rfind("CURATOR_", 0) == 0) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

Config Config::load(const SettingsRegistry& registry, const ConfigSources& sources) {
  Config config;
  for (const auto& spec : registry.all()) {
    SettingValue v = registry.parse(spec, spec.default_text, "default");
    config.entries_.push_back(Entry{&spec, v, canonical_text(v), "default"});
  }
  auto apply = [&](const std::string& name, const std::string& text, const std::string& origin) {
    const SettingSpec* spec = registry.find(name);
    if (!spec) throw ConfigError("unknown setting '" + name + "' from " + origin + " (see `curator config --describe`)");
    SettingValue v = registry.parse(*spec, text, origin);
    for (auto& e : config.entries_)
      if (e.spec == spec) e = Entry{spec, v, canonical_text(v), origin};
  };
  if (sources.file) {
    if (!std::filesystem::is_regular_file(*sources.file))
      throw ConfigError("config file " + sources.file->string() + " does not exist or is not a file");
    for (auto& [name, text] : read_toml(*sources.file)) apply(name, text, "file " + sources.file->string());
  }
  for (const auto& spec : registry.all()) {
    auto it = sources.env.find(spec.env);
    if (it != sources.env.end()) apply(spec.name, it->second, "env " + spec.env);
  }
  for (const auto& flag : sources.flags) apply(flag.name, flag.value, flag.origin);
  return config;
}

Config Config::defaults(const SettingsRegistry& registry,
                        const std::vector<std::pair<std::string, std::string>>& overrides) {
  ConfigSources sources;
  for (const auto& [name, value] : overrides) sources.flags.push_back({name, value, "override"});
  return load(registry, sources);
}

const Config::Entry& Config::entry(const std::string& name) const {
  for (const auto& e : entries_)
    if (e.spec->name == name) return e;
  throw std::logic_error("setting not registered: " + name);
}

int64_t Config::get_int(const std::string& name) const { return std::get<int64_t>(entry(name).value); }
double Config::get_double(const std::string& name) const { return std::get<double>(entry(name).value); }
bool Config::get_bool(const std::string& name) const { return std::get<bool>(entry(name).value); }
const std::string& Config::get_string(const std::string& name) const {
  return std::get<std::string>(entry(name).value);
}
std::filesystem::path Config::install_root() {
  if (const char* home = std::getenv("CURATOR_HOME"); home && *home) return home;
  return CURATOR_INSTALL_ROOT;
}

std::filesystem::path Config::get_path(const std::string& name) const {
  std::filesystem::path p(std::get<std::string>(entry(name).value));
  if (p.empty() || p.is_absolute() || name == "data.dir") return p;
  return (install_root() / p).lexically_normal();
}

std::string Config::effective_text(const Entry& e) const {
  return e.spec->type == SettingType::path ? get_path(e.spec->name).string() : e.text;
}

std::string example_toml(const SettingsRegistry& registry) {
  std::ostringstream out;
  out << "# curator configuration. Every setting is shown at its default.\n"
      << "# Precedence: default < this file < environment variable < command-line flag\n"
      << "# (--set section.key=value, or --data-dir/--host/--port). `curator config` shows the effective values.\n"
      << "# Generated by `curator config --example`.\n";
  std::string section;
  for (const auto& spec : registry.all()) {
    std::string sec = spec.name.substr(0, spec.name.find('.'));
    std::string key = spec.name.substr(spec.name.find('.') + 1);
    if (sec != section) {
      out << "\n[" << sec << "]\n";
      section = sec;
    }
    out << "# " << spec.description << "\n# type: " << setting_type_name(spec.type);
    if (!spec.allowed().empty()) out << "; allowed: " << spec.allowed();
    out << "; env: " << spec.env << "\n";
    bool quoted = spec.type == SettingType::string || spec.type == SettingType::path;
    out << key << " = " << (quoted ? "\"" + spec.default_text + "\"" : spec.default_text) << "\n";
  }
  return out.str();
}

} // namespace curator::core
