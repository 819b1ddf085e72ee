// curator: the daemon and the operator's command line.
#include "cli/commands.hpp"
#include "core/allocator.hpp"
#include "core/error.hpp"

#include <iostream>

int main(int argc, char** argv) {
  curator::core::tune_allocator(); // before any thread starts
  CLI::App app{"curator: keeps a deepfake detector honest by curating its training data.\n"
               "Every subcommand works on the same data folder (default ./var) as the daemon."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("curator ") + CURATOR_VERSION);
  int exit_code = 0;
  curator::cli::add_serve_command(app, exit_code);
  curator::cli::add_worker_command(app, exit_code);
  curator::cli::add_status_command(app, exit_code);
  curator::cli::add_migrate_command(app, exit_code);
  curator::cli::add_config_command(app, exit_code);
  curator::cli::add_jobs_command(app, exit_code);
  curator::cli::add_faces_command(app, exit_code);
  curator::cli::add_ingest_command(app, exit_code);
  curator::cli::add_import_command(app, exit_code);
  curator::cli::add_dataset_command(app, exit_code);
  curator::cli::add_user_command(app, exit_code);
  curator::cli::add_train_command(app, exit_code);
  curator::cli::add_model_command(app, exit_code);
  curator::cli::add_synth_command(app, exit_code);
  curator::cli::add_experiment_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const curator::ConfigError& e) {
    std::cerr << "curator: configuration error: " << e.what() << "\n";
    return 2;
  } catch (const curator::Error& e) {
    std::cerr << "curator: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "curator: unexpected error: " << e.what() << "\n";
    return 1;
  }
  return exit_code;
}
