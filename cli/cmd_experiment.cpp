// curator experiment cross-source|list|show: the study's cross-source matrix on one frozen snapshot
// (retrain/experiment.hpp). Resumable: run the same command again (same --id) after a stop or a kill.
#include "cli/app_config.hpp"
#include "cli/commands.hpp"
#include "cli/train_params.hpp"
#include "core/error.hpp"
#include "core/setting_keys.hpp"
#include "retrain/experiment.hpp"
#include "retrain/torch_runtime.hpp"
#include "serve/services.hpp"

#include <atomic>
#include <csignal>
#include <iostream>
#include <memory>
#include <sstream>

namespace curator::cli {

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_experiment_signal(int) { g_stop = true; }

struct ExperimentFlags {
  std::string id, sources, params_json;
  int seeds = 1, search = 0, max_epochs = 3;
  double budget_minutes = 0;
  bool json = false;
};

retrain::TrainParams base_params(const ExperimentFlags& f, const core::Config& config) {
  auto p = configured_train_params(config, f.params_json);
  p.validate();
  return p;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

void print(const retrain::ExperimentRecord& e, bool json) {
  if (json) {
    std::cout << e.to_json().dump() << std::endl;
    return;
  }
  std::cout << "experiment " << e.id << " (" << e.state << ", snapshot " << e.snapshot_id << ")\n";
  if (e.result.is_object()) std::cout << retrain::format_matrix(e.result);
}

} // namespace

void add_experiment_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<DataOptions>();
  auto f = std::make_shared<ExperimentFlags>();
  auto* cmd = app.add_subcommand("experiment", "Experiments over many training runs on one frozen snapshot");
  cmd->require_subcommand(1);

  auto* cross = cmd->add_subcommand("cross-source", "Train on each source alone and on all together; test every "
                                                    "model on every source (resumable with the same --id)");
  add_data_options(*cross, *options);
  cross->add_option("--sources", f->sources, "Comma-separated sources (at least two)")->required();
  cross->add_option("--id", f->id, "Experiment id (a-z, 0-9, -, _); an existing one resumes")->required();
  cross->add_option("--seeds", f->seeds, "Runs per cell with the base parameters, seeds 1..N")->check(CLI::Range(1, 100));
  cross->add_option("--search", f->search, "Instead: a random search of K runs per cell")->check(CLI::Range(0, 1000));
  cross->add_option("--budget-minutes", f->budget_minutes, "Stop starting runs after this long (resume later)");
  cross->add_option("--max-epochs", f->max_epochs, "Upper bound of the searched epochs")->check(CLI::Range(1, 1000));
  cross->add_option("--params", f->params_json, "Base training parameters as a JSON object");
  cross->add_flag("--json", f->json, "Print the record as JSON");
  cross->callback([options, f, &exit_code] {
    const core::Config config = load_config(*options);
    retrain::configure_torch(static_cast<int>(config.get(core::keys::torch_threads)));
    core::SystemClock clock;
    serve::Services s(config, clock);
    retrain::ExperimentOptions o;
    o.id = f->id, o.sources = split_list(f->sources), o.seeds = f->seeds, o.search = f->search;
    o.budget_seconds = f->budget_minutes * 60, o.base = base_params(*f, config), o.max_epochs = f->max_epochs;
    o.threads = static_cast<int>(config.get(core::keys::torch_threads));
    std::signal(SIGINT, on_experiment_signal);
    std::signal(SIGTERM, on_experiment_signal);
    retrain::ExperimentContext ctx{*s.db, s.dir, clock, dataset::DatasetSettings::from_config(config),
                                   [] { return g_stop.load(); },
                                   [](const retrain::RunRecord& r) {
                                     std::cerr << "run " << r.id << ": " << r.state << " (" << r.seconds << " s)\n";
                                   }};
    const auto e = retrain::run_cross_source(ctx, o);
    print(e, f->json);
    exit_code = e.state == "done" ? 0 : 3;
  });

  auto* list = cmd->add_subcommand("list", "Experiments, newest first (one JSON line each)");
  add_data_options(*list, *options);
  list->callback([options, &exit_code] {
    const core::Config config = load_config(*options);
    core::SystemClock clock;
    serve::Services s(config, clock);
    for (const auto& e : retrain::ExperimentStore(*s.db).list()) std::cout << e.to_json().dump() << "\n";
    exit_code = 0;
  });

  auto* show = cmd->add_subcommand("show", "One experiment: its matrix, and with --json its runs");
  add_data_options(*show, *options);
  show->add_option("id", f->id, "Experiment id")->required();
  show->add_flag("--json", f->json, "Print JSON (with the experiment's runs)");
  show->callback([options, f, &exit_code] {
    const core::Config config = load_config(*options);
    core::SystemClock clock;
    serve::Services s(config, clock);
    const auto e = retrain::ExperimentStore(*s.db).get(f->id);
    if (!e) throw NotFound("no experiment " + f->id);
    if (f->json) {
      auto j = e->to_json();
      j["runs"] = nlohmann::json::array();
      for (const auto& r : retrain::experiment_runs(*s.db, e->id)) j["runs"].push_back(r.to_json());
      std::cout << j.dump() << std::endl;
    } else {
      print(*e, false);
    }
    exit_code = 0;
  });
}

} // namespace curator::cli
