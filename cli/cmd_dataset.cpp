// `curator dataset refresh|stats|snapshot|snapshots|export|audit|exclude`: the operator's view of the
// dataset. Each works on the data folder directly, so scripts run the same steps the daemon does.
#include "cli/app_config.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "dataset/audit.hpp"
#include "dataset/stats.hpp"
#include "serve/services.hpp"

#include <fstream>
#include <functional>
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

// What every subcommand shares: the data folder options, the flags, the exit code, and opening the
// folder with the dataset settings.
struct Dataset {
  std::shared_ptr<DataOptions> options = std::make_shared<DataOptions>();
  std::shared_ptr<DatasetFlags> flags = std::make_shared<DatasetFlags>();
  int* exit_code = nullptr;

  using Body = std::function<void(core::Clock&, serve::Services&, const dataset::DatasetSettings&)>;
  void open(const Body& body) const {
    const core::Config config = load_config(*options);
    core::SystemClock clock;
    serve::Services services(config, clock);
    body(clock, services, dataset::DatasetSettings::from_config(config));
  }
  CLI::App* add(CLI::App& parent, const char* name, const char* help) const {
    auto* sub = parent.add_subcommand(name, help);
    add_data_options(*sub, *options);
    return sub;
  }
};

void add_refresh(CLI::App& cmd, const Dataset& d) {
  auto* refresh = d.add(cmd, "refresh", "Group identities and give every new video its split");
  refresh->add_flag("--json", d.flags->json, "Print the summary as JSON");
  refresh->callback([d] {
    d.open([&](core::Clock& clock, serve::Services& s, const dataset::DatasetSettings& settings) {
      const auto sum = dataset::refresh_splits(*s.db, clock, settings);
      if (d.flags->json) std::cout << sum.to_json().dump() << "\n";
      else
        std::cout << sum.videos << " videos in " << sum.units << " split units (" << sum.identity_groups
                  << " identity groups): " << sum.assigned_now << " newly assigned (" << sum.by_rule << " by rule, "
                  << sum.by_official << " official, " << sum.inherited << " inherited), " << sum.quarantined
                  << " quarantined, " << sum.conflicts << " conflicts, " << sum.seconds << " s\n";
      *d.exit_code = 0;
    });
  });
}

void add_stats(CLI::App& cmd, const Dataset& d) {
  auto* stats = d.add(cmd, "stats", "Real and fake videos and faces per source and split");
  stats->add_flag("--json", d.flags->json, "Print JSON");
  stats->callback([d] {
    d.open([&](core::Clock&, serve::Services& s, const dataset::DatasetSettings& settings) {
      const auto j = dataset::dataset_stats(*s.db, settings.test_fraction);
      std::cout << (d.flags->json ? j.dump() + "\n" : dataset::format_stats(j));
      *d.exit_code = 0;
    });
  });
}

void add_snapshot(CLI::App& cmd, const Dataset& d) {
  auto* snapshot = d.add(cmd, "snapshot", "Refresh splits, then freeze the confirmed membership; prints "
                                          "{\"id\", \"manifest\", ...} as one JSON line");
  snapshot->callback([d] {
    d.open([&](core::Clock& clock, serve::Services& s, const dataset::DatasetSettings& settings) {
      dataset::refresh_splits(*s.db, clock, settings);
      const auto info = dataset::create_snapshot(*s.db, s.dir, clock, settings);
      std::cout << nlohmann::json{{"id", info.id}, {"manifest", info.manifest.string()}, {"items", info.items},
                                  {"videos", info.videos}}
                       .dump()
                << "\n";
      *d.exit_code = 0;
    });
  });
  auto* list = d.add(cmd, "snapshots", "List snapshots, newest first (one JSON line each)");
  list->callback([d] {
    d.open([&](core::Clock&, serve::Services& s, const dataset::DatasetSettings&) {
      for (const auto& info : dataset::list_snapshots(*s.db, s.dir)) std::cout << info.to_json().dump() << "\n";
      *d.exit_code = 0;
    });
  });
}

void add_export(CLI::App& cmd, const Dataset& d) {
  auto* exp = d.add(cmd, "export", "Export a snapshot as CSV or as FF++-style json pairs per split");
  exp->add_option("snapshot", d.flags->snapshot, "Snapshot id (or unique prefix, or manifest path)")->required();
  exp->add_option("--format", d.flags->format, "csv or ffpp")->check(CLI::IsMember({"csv", "ffpp"}));
  exp->add_option("--out", d.flags->out, "File to write (default: standard output)");
  exp->callback([d] {
    d.open([&](core::Clock&, serve::Services& s, const dataset::DatasetSettings&) {
      const auto info = dataset::find_snapshot(*s.db, s.dir, d.flags->snapshot);
      const auto items = dataset::read_manifest(info.manifest);
      std::ostringstream text;
      if (d.flags->format == "csv") dataset::export_csv(items, text);
      else text << dataset::export_ffpp_pairs(*s.db, items).dump(1) << "\n";
      emit(d.flags->out, text.str());
      *d.exit_code = 0;
    });
  });
}

void add_audit(CLI::App& cmd, const Dataset& d) {
  auto* audit = d.add(cmd, "audit", "Check a snapshot for leaks across splits; exits 3 on any leak");
  audit->add_option("snapshot", d.flags->snapshot, "Snapshot id (or unique prefix, or manifest path)")->required();
  audit->add_flag("--json", d.flags->json, "Print the report as JSON");
  audit->callback([d] {
    d.open([&](core::Clock&, serve::Services& s, const dataset::DatasetSettings& settings) {
      const auto info = dataset::find_snapshot(*s.db, s.dir, d.flags->snapshot);
      const auto report = dataset::audit_snapshot(*s.db, info.id, dataset::read_manifest(info.manifest), settings);
      std::cout << (d.flags->json ? report.to_json().dump() + "\n" : report.to_text());
      *d.exit_code = report.clean() ? 0 : 3;
    });
  });
}

void add_exclude(CLI::App& cmd, const Dataset& d) {
  auto* exclude = d.add(cmd, "exclude", "Take a video out of the dataset for good (it keeps its split)");
  exclude->add_option("submission", d.flags->id, "Submission id")->required();
  exclude->add_option("--reason", d.flags->reason, "Why (kept with the video)")->required();
  exclude->callback([d] {
    d.open([&](core::Clock& clock, serve::Services& s, const dataset::DatasetSettings&) {
      dataset::exclude_video(*s.db, clock, d.flags->id, d.flags->reason);
      std::cout << "submission " << d.flags->id << " excluded from the dataset\n";
      *d.exit_code = 0;
    });
  });
}

} // namespace

void add_dataset_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("dataset", "Identity groups, splits, snapshots and the leakage audit.");
  cmd->require_subcommand(1);
  Dataset d;
  d.exit_code = &exit_code;
  add_refresh(*cmd, d);
  add_stats(*cmd, d);
  add_snapshot(*cmd, d);
  add_export(*cmd, d);
  add_audit(*cmd, d);
  add_eval_grouping_command(*cmd, exit_code);
  add_exclude(*cmd, d);
}

} // namespace curator::cli
