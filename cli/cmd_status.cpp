#include "cli/app_config.hpp"
#include "cli/commands.hpp"
#include "serve/status_report.hpp"

#include <iostream>
#include <memory>

namespace curator::cli {

void add_status_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<DataOptions>();
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("status", "Show the data folder, database schema, jobs by kind and state, "
                                           "whether the daemon runs, face models and LibTorch. Changes nothing.");
  add_data_options(*cmd, *options);
  cmd->add_flag("--json", *json, "Print one JSON object instead of text");
  cmd->callback([options, json, &exit_code] {
    core::Config config = load_config(*options);
    auto report = serve::status_report(config, true);
    if (*json) std::cout << report.dump() << "\n";
    else std::cout << serve::format_status(report);
    exit_code = 0;
  });
}

} // namespace curator::cli
