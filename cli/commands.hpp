#pragma once
// Each subcommand registers itself on the root app; its callback sets `exit_code`.
#include <CLI/CLI.hpp>

namespace curator::cli {

void add_serve_command(CLI::App& app, int& exit_code);
void add_worker_command(CLI::App& app, int& exit_code);
void add_status_command(CLI::App& app, int& exit_code);
void add_migrate_command(CLI::App& app, int& exit_code);
void add_config_command(CLI::App& app, int& exit_code);
void add_jobs_command(CLI::App& app, int& exit_code);
void add_faces_command(CLI::App& app, int& exit_code);
void add_ingest_command(CLI::App& app, int& exit_code);
void add_import_command(CLI::App& app, int& exit_code);
void add_dataset_command(CLI::App& app, int& exit_code);
/// `dataset eval-grouping`, registered by add_dataset_command.
void add_eval_grouping_command(CLI::App& dataset_cmd, int& exit_code);
void add_user_command(CLI::App& app, int& exit_code);
void add_train_command(CLI::App& app, int& exit_code);
void add_model_command(CLI::App& app, int& exit_code);
void add_synth_command(CLI::App& app, int& exit_code);
void add_experiment_command(CLI::App& app, int& exit_code);

} // namespace curator::cli
