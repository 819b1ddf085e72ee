// curator ingest PATH... and curator import FORMAT DIR: one JSON line per submission.
#include "cli/app_config.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/setting_keys.hpp"
#include "ingest/importers.hpp"
#include "retrain/torch_runtime.hpp"
#include "serve/services.hpp"

#include <iostream>
#include <memory>

namespace curator::cli {

namespace {

struct IngestFlags {
  std::vector<std::string> paths;
  std::string label = "unknown", source = "contributor", method, contributor, consent, operator_name;
  std::vector<std::string> derived_from;
  std::string format, dir;
  bool trusted = false, wait = false;
};

void add_common(CLI::App& cmd, IngestFlags& f) {
  cmd.add_flag("--trusted", f.trusted, "A curated dataset: its labels count as confirmed (needs --operator)");
  cmd.add_option("--operator", f.operator_name, "Who vouches for a --trusted import (recorded as the confirming actor)");
  cmd.add_flag("--wait", f.wait, "Process the submissions in this process and print their final state");
}

// Submits every item, then (with --wait) runs the jobs and prints final states.
int submit_all(const DataOptions& options, const IngestFlags& f, const std::vector<ingest::ImportItem>& items,
               const std::string& origin) {
  if (f.trusted && f.operator_name.empty()) throw InvalidInput("--trusted needs --operator NAME");
  core::Config config = load_config(options);
  core::SystemClock clock;
  serve::Services services(config, clock);
  std::vector<ingest::Receipt> receipts;
  int errors = 0;
  for (const auto& item : items) {
    auto meta = item.meta;
    meta.trusted = f.trusted;
    if (f.trusted) meta.confirmed_by = f.operator_name;
    try {
      receipts.push_back(services.ingest->submit_file(item.file, meta, origin));
      receipts.back().path = item.file.string();
      if (!f.wait) std::cout << receipts.back().to_json().dump() << std::endl;
    } catch (const Error& e) {
      ++errors;
      std::cout << nlohmann::json{{"path", item.file.string()}, {"error", e.what()}}.dump() << std::endl;
    }
  }
  if (f.wait) {
    retrain::configure_torch(static_cast<int>(config.get(core::keys::torch_threads)));
    std::vector<int64_t> ids;
    for (const auto& r : receipts) ids.push_back(r.id);
    serve::run_ingest_until_finished(services, config, ids);
    for (auto r : receipts) {
      auto s = services.ingest->submissions().get(r.id);
      auto j = s->to_json();
      j["path"] = r.path;
      std::cout << j.dump() << std::endl;
    }
  }
  return errors ? 1 : 0;
}

} // namespace

void add_ingest_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<DataOptions>();
  auto f = std::make_shared<IngestFlags>();
  auto* cmd = app.add_subcommand("ingest", "Submit local videos or folders of videos. Prints one JSON line per "
                                           "submission (id, path, state); the daemon (or --wait) processes them.");
  add_data_options(*cmd, *options);
  cmd->add_option("paths", f->paths, "Video files or folders (searched recursively)")->required();
  cmd->add_option("--label", f->label, "Claimed label: real, fake or unknown")->check(CLI::IsMember({"real", "fake", "unknown"}));
  cmd->add_option("--source", f->source, "Where the videos come from: ffpp, dfdc, celebdf, youtube, contributor, ...");
  cmd->add_option("--method", f->method, "Manipulation method, when known");
  cmd->add_option("--derived-from", f->derived_from, "Video this fake was made from (external id or #submission)");
  cmd->add_option("--contributor", f->contributor, "Who contributed the videos");
  cmd->add_option("--consent", f->consent, "Consent or licence note");
  add_common(*cmd, *f);
  cmd->callback([options, f, &exit_code] {
    std::vector<ingest::ImportItem> items;
    for (const auto& p : f->paths) {
      auto found = ingest::find_videos(p);
      if (found.empty()) found.push_back(p); // a file with an unexpected extension is still submitted
      for (const auto& file : found) {
        ingest::ImportItem item{file, {}};
        item.meta.label = ingest::parse_label(f->label);
        item.meta.source = f->source;
        item.meta.method = f->method;
        item.meta.derived_from = f->derived_from;
        item.meta.contributor = f->contributor;
        item.meta.consent = f->consent;
        items.push_back(item);
      }
    }
    exit_code = submit_all(*options, *f, items, "path");
  });
}

void add_import_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<DataOptions>();
  auto f = std::make_shared<IngestFlags>();
  auto* cmd = app.add_subcommand("import", "Bulk-import a dataset in its own layout: ffpp (FaceForensics++), dfdc, "
                                           "celebdf, or folder (real/ and fake/). One JSON line per submission.");
  add_data_options(*cmd, *options);
  cmd->add_option("format", f->format, "ffpp, dfdc, celebdf or folder")->required()->check(CLI::IsMember({"ffpp", "dfdc", "celebdf", "folder"}));
  cmd->add_option("dir", f->dir, "The dataset's root folder")->required();
  cmd->add_option("--source", f->source, "Source name for a plain folder import (default contributor)");
  add_common(*cmd, *f);
  cmd->callback([options, f, &exit_code] {
    std::vector<ingest::ImportItem> items;
    if (f->format == "ffpp") items = ingest::scan_ffpp(f->dir);
    else if (f->format == "dfdc") items = ingest::scan_dfdc(f->dir);
    else if (f->format == "celebdf") items = ingest::scan_celebdf(f->dir);
    else items = ingest::scan_folder(f->dir, f->source);
    exit_code = submit_all(*options, *f, items, "import:" + f->format);
  });
}

} // namespace curator::cli
