#include "core/settings.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>
#include <sstream>
#include <stdexcept>

namespace curator::core {

const char* setting_type_name(SettingType type) {
  switch (type) {
  case SettingType::string: return "string";
  case SettingType::integer: return "integer";
  case SettingType::number: return "number";
  case SettingType::boolean: return "boolean";
  case SettingType::path: return "path";
  }
  return "string";
}

namespace {

std::string format_bound(double v, SettingType type) {
  std::ostringstream out;
  if (type == SettingType::integer) out << static_cast<int64_t>(v);
  else out << v;
  return out.str();
}

std::string derive_env(const std::string& name) {
  std::string env = "CURATOR_";
  for (char c : name) env += (c == '.' || c == '-') ? '_' : static_cast<char>(std::toupper(c));
  return env;
}

} // namespace

std::string SettingSpec::allowed() const {
  if (!choices.empty()) {
    std::string out = "one of:";
    for (size_t i = 0; i < choices.size(); ++i) out += (i ? ", " : " ") + choices[i];
    return out;
  }
  if (type == SettingType::boolean) return "true or false";
  if (min || max) {
    return "[" + (min ? format_bound(*min, type) : std::string("-inf")) + ", " +
           (max ? format_bound(*max, type) : std::string("inf")) + "]";
  }
  return "";
}

SettingsRegistry::SettingsRegistry(std::vector<SettingSpec> specs) : specs_(std::move(specs)) {
  std::set<std::string> names, envs;
  for (auto& spec : specs_) {
    if (spec.env.empty()) spec.env = derive_env(spec.name);
    if (!names.insert(spec.name).second || !envs.insert(spec.env).second)
      throw std::logic_error("duplicate setting " + spec.name);
    if (spec.name.find('.') == std::string::npos)
      throw std::logic_error("setting name needs a section: " + spec.name);
    parse(spec, spec.default_text, "default"); // a registry with a bad default is a bug
  }
}

const SettingSpec* SettingsRegistry::find(const std::string& name) const {
  auto it = std::find_if(specs_.begin(), specs_.end(), [&](const SettingSpec& s) { return s.name == name; });
  return it == specs_.end() ? nullptr : &*it;
}

SettingValue SettingsRegistry::parse(const SettingSpec& spec, const std::string& text,
                                     const std::string& origin) const {
  auto fail = [&](const std::string& why) -> ConfigError {
    std::string allowed = spec.allowed();
    return ConfigError("setting '" + spec.name + "' (" + setting_type_name(spec.type) + ") from " + origin +
                       ": value '" + text + "' " + why + (allowed.empty() ? "" : "; allowed: " + allowed));
  };
  auto check_range = [&](double v) {
    if ((spec.min && v < *spec.min) || (spec.max && v > *spec.max)) throw fail("is out of range");
  };
  switch (spec.type) {
  case SettingType::integer: {
    size_t used = 0;
    int64_t v = 0;
    try {
      v = std::stoll(text, &used, 10);
    } catch (const std::exception&) {
      throw fail("is not an integer");
    }
    if (used != text.size()) throw fail("is not an integer");
    check_range(static_cast<double>(v));
    return v;
  }
  case SettingType::number: {
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(text, &used);
    } catch (const std::exception&) {
      throw fail("is not a number");
    }
    if (used != text.size() || !std::isfinite(v)) throw fail("is not a number");
    check_range(v);
    return v;
  }
  case SettingType::boolean:
    if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
    if (text == "false" || text == "0" || text == "no" || text == "off") return false;
    throw fail("is not a boolean");
  case SettingType::path:
    if (text.empty()) throw fail("is empty");
    return text;
  case SettingType::string:
    if (!spec.choices.empty() && std::find(spec.choices.begin(), spec.choices.end(), text) == spec.choices.end())
      throw fail("is not allowed");
    return text;
  }
  throw fail("has an unknown type");
}

} // namespace curator::core
