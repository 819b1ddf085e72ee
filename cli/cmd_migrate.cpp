#include "cli/app_config.hpp"
#include "cli/commands.hpp"
#include "core/data_dir.hpp"
#include "core/database.hpp"
#include "core/migrations.hpp"
#include "core/setting_keys.hpp"

#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

namespace curator::cli {

void add_migrate_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<DataOptions>();
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("migrate", "Create the data folder and database if needed and apply pending "
                                            "schema migrations (the daemon also does this at start). Refuses a "
                                            "database newer than this binary.");
  add_data_options(*cmd, *options);
  cmd->add_flag("--json", *json, "Print one JSON object instead of text");
  cmd->callback([options, json, &exit_code] {
    core::Config config = load_config(*options);
    core::DataDir dir(config.get(core::keys::data_dir));
    dir.create();
    core::Database db(dir.database(), static_cast<int>(config.get(core::keys::db_busy_timeout_ms)));
    auto conn = db.connect();
    auto applied = core::migrate(*conn);
    auto status = core::schema_status(*conn);
    if (*json) {
      std::cout << nlohmann::json{{"database", dir.database().string()}, {"applied", applied},
                                  {"schema_version", status.current}}.dump()
                << "\n";
    } else {
      std::cout << dir.database().string() << ": schema version " << status.current;
      if (applied.empty()) std::cout << " (already up to date)\n";
      else std::cout << " (applied " << applied.size() << " migration" << (applied.size() == 1 ? "" : "s") << ")\n";
    }
    exit_code = 0;
  });
}

} // namespace curator::cli
