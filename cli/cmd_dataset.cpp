// `curator dataset refresh|stats|snapshot|snapshots|export|audit|exclude`: the operator's view of the
// dataset. Each works on the data folder directly, so scripts run the same steps the daemon does.
#include "cli/app_config.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "dataset/audit.hpp"
#include "dataset/stats.hpp"
#include "serve/services.hpp"

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

namespace curator::cli {

namespace {

struct DatasetFlags {
  bool json = false;
  std::string snapshot, format = "csv", out, reason;
  int64_t id = 0;
};

// Writes to --out (atomically replaced only after a full write) or stdout.
void emit(const std::string& out_path, const std::string& text) {
  if (out_path.empty() || out_path == "-") {
    std::cout << text;
    return;
  }
  std::ofstream f(out_path, std::ios::binary | std::ios::trunc);
  if (!f || !(f << text)) throw Error(ErrorCode::internal, "cannot write " + out_path);
}

} // namespace

void add_dataset_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<DataOptions>();
  auto flags = std::make_shared<DatasetFlags>();
  auto* cmd = app.add_subcommand("dataset", "Identity groups, splits, snapshots and the leakage audit.");
  cmd->require_subcommand(1);
  auto open = [options](auto&& body) {
    const core::Config config = load_config(*options);
    core::SystemClock clock;
    serve::Services services(config, clock);
    body(config, clock, services, dataset::DatasetSettings::from_config(config));
  };

  auto* refresh = cmd->add_subcommand("refresh", "Group identities and give every new video its split");
  add_data_options(*refresh, *options);
  refresh->add_flag("--json", flags->json, "Print the summary as JSON");
  refresh->callback([open, flags, &exit_code] {
    open([&](auto&, auto& clock, auto& s, const auto& settings) {
      const auto sum = dataset::refresh_splits(*s.db, clock, settings);
      if (flags->json) std::cout << sum.to_json().dump() << "\n";
      else
        std::cout << sum.videos << " videos in " << sum.units << " split units (" << sum.identity_groups
                  << " identity groups): " << sum.assigned_now << " newly assigned (" << sum.by_rule << " by rule, "
                  << sum.by_official << " official, " << sum.inherited << " inherited), " << sum.quarantined
                  << " quarantined, " << sum.conflicts << " conflicts, " << sum.seconds << " s\n";
      exit_code = 0;
    });
  });

  auto* stats = cmd->add_subcommand("stats", "Real and fake videos and faces per source and split");
  add_data_options(*stats, *options);
  stats->add_flag("--json", flags->json, "Print JSON");
  stats->callback([open, flags, &exit_code] {
    open([&](auto&, auto&, auto& s, const auto& settings) {
      const auto j = dataset::dataset_stats(*s.db, settings.test_fraction);
      std::cout << (flags->json ? j.dump() + "\n" : dataset::format_stats(j));
      exit_code = 0;
    });
  });

  auto* snapshot = cmd->add_subcommand("snapshot", "Refresh splits, then freeze the confirmed membership; "
                                                   "prints {\"id\", \"manifest\", ...} as one JSON line");
  add_data_options(*snapshot, *options);
  snapshot->callback([open, &exit_code] {
    open([&](auto&, auto& clock, auto& s, const auto& settings) {
      dataset::refresh_splits(*s.db, clock, settings);
      const auto info = dataset::create_snapshot(*s.db, s.dir, clock, settings);
      std::cout << nlohmann::json{{"id", info.id}, {"manifest", info.manifest.string()}, {"items", info.items},
                                  {"videos", info.videos}}
                       .dump()
                << "\n";
      exit_code = 0;
    });
  });

  auto* list = cmd->add_subcommand("snapshots", "List snapshots, newest first (one JSON line each)");
  add_data_options(*list, *options);
  list->callback([open, &exit_code] {
    open([&](auto&, auto&, auto& s, const auto&) {
      for (const auto& info : dataset::list_snapshots(*s.db, s.dir)) std::cout << info.to_json().dump() << "\n";
      exit_code = 0;
    });
  });

  auto* exp = cmd->add_subcommand("export", "Export a snapshot as CSV or as FF++-style json pairs per split");
  add_data_options(*exp, *options);
  exp->add_option("snapshot", flags->snapshot, "Snapshot id (or unique prefix, or manifest path)")->required();
  exp->add_option("--format", flags->format, "csv or ffpp")->check(CLI::IsMember({"csv", "ffpp"}));
  exp->add_option("--out", flags->out, "File to write (default: standard output)");
  exp->callback([open, flags, &exit_code] {
    open([&](auto&, auto&, auto& s, const auto&) {
      const auto info = dataset::find_snapshot(*s.db, s.dir, flags->snapshot);
      const auto items = dataset::read_manifest(info.manifest);
      std::ostringstream text;
      if (flags->format == "csv") dataset::export_csv(items, text);
      else text << dataset::export_ffpp_pairs(*s.db, items).dump(1) << "\n";
      emit(flags->out, text.str());
      exit_code = 0;
    });
  });

  auto* audit = cmd->add_subcommand("audit", "Check a snapshot for leaks across splits; exits 3 on any leak");
  add_data_options(*audit, *options);
  audit->add_option("snapshot", flags->snapshot, "Snapshot id (or unique prefix, or manifest path)")->required();
  audit->add_flag("--json", flags->json, "Print the report as JSON");
  audit->callback([open, flags, &exit_code] {
    open([&](auto&, auto&, auto& s, const auto& settings) {
      const auto info = dataset::find_snapshot(*s.db, s.dir, flags->snapshot);
      const auto report = dataset::audit_snapshot(*s.db, info.id, dataset::read_manifest(info.manifest), settings);
      std::cout << (flags->json ? report.to_json().dump() + "\n" : report.to_text());
      exit_code = report.clean() ? 0 : 3;
    });
  });

  add_eval_grouping_command(*cmd, exit_code);

  auto* exclude = cmd->add_subcommand("exclude", "Take a video out of the dataset for good (it keeps its split)");
  add_data_options(*exclude, *options);
  exclude->add_option("submission", flags->id, "Submission id")->required();
  exclude->add_option("--reason", flags->reason, "Why (kept with the video)")->required();
  exclude->callback([open, flags, &exit_code] {
    open([&](auto&, auto& clock, auto& s, const auto&) {
      dataset::exclude_video(*s.db, clock, flags->id, flags->reason);
      std::cout << "submission " << flags->id << " excluded from the dataset\n";
      exit_code = 0;
    });
  });
}

} // namespace curator::cli
