#include "cli/app_config.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <iomanip>
#include <iostream>
#include <memory>

namespace curator::cli {

namespace {

struct ConfigFlags {
  bool json = false;
  bool describe = false;
  bool example = false;
  std::string get;
};

void print_table(const core::Config& config) {
  size_t width = 0;
  for (const auto& e : config.entries()) width = std::max(width, e.spec->name.size() + 3 + config.effective_text(e).size());
  for (const auto& e : config.entries()) {
    std::string left = e.spec->name + " = " + config.effective_text(e);
    std::cout << std::left << std::setw(static_cast<int>(width) + 2) << left << "# " << e.origin << "\n";
  }
}

void print_describe() {
  for (const auto& s : core::default_settings().all()) {
    std::cout << s.name << " (" << core::setting_type_name(s.type) << ", default " << s.default_text;
    if (!s.allowed().empty()) std::cout << ", " << s.allowed();
    std::cout << ", env " << s.env << ")\n    " << s.description << "\n";
  }
}

} // namespace

void add_config_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<DataOptions>();
  auto flags = std::make_shared<ConfigFlags>();
  auto* cmd = app.add_subcommand("config", "Print the effective configuration, each value with its origin "
                                           "(default, file, env, flag). Exits non-zero on a bad value.");
  add_data_options(*cmd, *options);
  cmd->add_flag("--json", flags->json, "Print JSON: {name: {value, origin}}");
  cmd->add_option("--get", flags->get, "Print only this setting's value (for scripts)");
  cmd->add_flag("--describe", flags->describe, "List every setting: type, default, allowed range, env, meaning");
  cmd->add_flag("--example", flags->example, "Print a documented TOML file with every default (ops/curator.toml)");
  cmd->callback([options, flags, &exit_code] {
    exit_code = 0;
    if (flags->describe) return print_describe();
    if (flags->example) {
      std::cout << core::example_toml(core::default_settings());
      return;
    }
    core::Config config = load_config(*options);
    if (!flags->get.empty()) {
      if (!core::default_settings().find(flags->get)) throw ConfigError("unknown setting '" + flags->get + "'");
      std::cout << config.effective_text(config.entry(flags->get)) << "\n";
    } else if (flags->json) {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& e : config.entries()) out[e.spec->name] = {{"value", config.effective_text(e)}, {"origin", e.origin}};
      std::cout << out.dump(2) << "\n";
    } else {
      print_table(config);
    }
  });
}

} // namespace curator::cli
