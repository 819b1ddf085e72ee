// `curator model list|champion|register|gate|rollback|export|round`: the registry by hand. Every
// change goes through the same code as the daemon's scheduler (gate, atomic promotion, audit log).
#include "cli/app_config.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/setting_keys.hpp"
#include "retrain/promotion_outlook.hpp"
#include "retrain/retrain_round.hpp"
#include "retrain/search.hpp"
#include "retrain/torch_runtime.hpp"
#include "serve/services.hpp"

#include <iostream>
#include <memory>

namespace curator::cli {

namespace {

struct ModelFlags {
  std::string run, out;
  int64_t version = 0;
  bool gate = false;
};

std::string operator_actor() {
  const char* user = std::getenv("USER");
  return std::string("operator:") + (user && *user ? user : "cli");
}

} // namespace

void add_model_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<DataOptions>();
  auto f = std::make_shared<ModelFlags>();
  auto* cmd = app.add_subcommand("model", "Model versions, the champion, the promotion gate and rollback.");
  cmd->require_subcommand(1);
  auto open = [options](auto&& body) {
    const core::Config config = load_config(*options);
    core::SystemClock clock;
    serve::Services s(config, clock);
    retrain::configure_torch(static_cast<int>(config.get(core::keys::torch_threads)));
    retrain::ModelRegistry registry(*s.db, s.dir, clock);
    body(config, clock, s, registry);
  };

  auto* list = cmd->add_subcommand("list", "Every version (one JSON line each)");
  add_data_options(*list, *options);
  list->callback([open, &exit_code] {
    open([&](auto&, auto&, auto&, retrain::ModelRegistry& r) {
      for (const auto& v : r.list()) std::cout << v.to_json().dump() << "\n";
      exit_code = 0;
    });
  });

  auto* champ = cmd->add_subcommand("champion", "The current champion");
  add_data_options(*champ, *options);
  champ->callback([open, &exit_code] {
    open([&](auto&, auto&, auto&, retrain::ModelRegistry& r) {
      const auto c = r.champion();
      if (!c) throw NotFound("there is no champion model yet");
      std::cout << c->to_json().dump() << "\n";
      exit_code = 0;
    });
  });

  auto* reg = cmd->add_subcommand("register", "Make a finished training run a model version");
  add_data_options(*reg, *options);
  reg->add_option("run", f->run, "Run id (its folder under var/runs)")->required();
  reg->add_flag("--gate", f->gate, "Put it through the promotion gate right away");
  reg->callback([open, f, &exit_code] {
    open([&](const core::Config& config, auto& clock, serve::Services& s, retrain::ModelRegistry& r) {
      if (const auto run = retrain::find_run(*s.db, f->run)) {
        const auto warning = retrain::test_selection_warning(*run, retrain::list_run_summaries(*s.db, {}));
        if (!warning.empty()) std::cerr << "warning: " << warning << "\n";
      }
      const auto v = r.register_run(f->run, s.dir.run_folder(f->run));
      std::cout << nlohmann::json{{"version", v.version}, {"dir", v.dir.string()}}.dump() << "\n";
      if (f->gate) {
        const auto d = retrain::gate_candidate(*s.db, s.dir, clock, v.version, retrain::GateConfig::from_config(config),
                                               static_cast<int>(config.get(core::keys::torch_threads)), operator_actor());
        std::cout << d.to_json().dump() << "\n";
      }
      exit_code = 0;
    });
  });

  auto* gate = cmd->add_subcommand("gate", "Put a candidate version through the promotion gate");
  add_data_options(*gate, *options);
  gate->add_option("version", f->version, "Candidate version")->required();
  gate->callback([open, f, &exit_code] {
    open([&](const core::Config& config, auto& clock, serve::Services& s, auto&) {
      const auto d = retrain::gate_candidate(*s.db, s.dir, clock, f->version, retrain::GateConfig::from_config(config),
                                             static_cast<int>(config.get(core::keys::torch_threads)), operator_actor());
      std::cout << d.to_json().dump() << "\n";
      exit_code = d.promoted ? 0 : 3;
    });
  });

  auto* rollback = cmd->add_subcommand("rollback", "Make the previous champion the champion again");
  add_data_options(*rollback, *options);
  rollback->callback([open, &exit_code] {
    open([&](auto&, auto&, auto&, retrain::ModelRegistry& r) {
      std::cout << r.rollback(operator_actor()).to_json().dump() << "\n";
      exit_code = 0;
    });
  });

  auto* exp = cmd->add_subcommand("export", "Copy a version's TorchScript file (python: torch.jit.load)");
  add_data_options(*exp, *options);
  exp->add_option("version", f->version, "Version")->required();
  exp->add_option("out", f->out, "Where to write it")->required();
  exp->callback([open, f, &exit_code] {
    open([&](auto&, auto&, auto&, retrain::ModelRegistry& r) {
      std::filesystem::copy_file(r.get(f->version).dir / "torchscript.pt", f->out,
                                 std::filesystem::copy_options::overwrite_existing);
      exit_code = 0;
    });
  });

  auto* round = cmd->add_subcommand("round", "Run one retraining round now: snapshot, train, gate, promote (when "
                                             "nothing could be promoted, says why on stderr first, then runs)");
  add_data_options(*round, *options);
  round->callback([open, &exit_code] {
    open([&](const core::Config& config, auto& clock, serve::Services& s, auto&) {
      {
        auto conn = s.db->connect();
        const auto outlook = retrain::promotion_outlook(config, *conn);
        if (!outlook.can_promote) // the round still runs: an operator may want the run anyway
          std::cerr << "warning: " << outlook.sentence << "\n";
      }
      auto o = retrain::RoundOptions::from_config(config);
      const auto r = retrain::run_round(*s.db, s.dir, clock, o, [] { return false; });
      std::cout << r.to_json().dump() << "\n";
      exit_code = r.state == "done" ? 0 : 1;
    });
  });
}

} // namespace curator::cli
