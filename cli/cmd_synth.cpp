// curator synth --method M --seed N --out DIR [--donors DIR] INPUT...: pseudo-fakes from real clips, a
// manifest line each; with --ingest, submitted as trusted fakes derived from their originals, each
// original submitted as its re-encode made exactly as the fake (so neither codec nor container tells
// them apart, and each fake lands in its original's split unit).
#include "cli/app_config.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/setting_keys.hpp"
#include "core/sha256.hpp"
#include "ingest/importers.hpp"
#include "retrain/torch_runtime.hpp"
#include "serve/services.hpp"
#include "synth/synthesizer.hpp"

#include <iostream>
#include <memory>

namespace curator::cli {

namespace {

struct SynthFlags {
  std::vector<std::string> inputs;
  std::string method = "self-blend", out, source, original_source, operator_name, donors;
  uint64_t seed = 1;
  int crf = 18;
  bool ingest = false, wait = false;
};

// The re-encoded original's submission (by content), submitted as a trusted real clip first when it is new.
int64_t original_submission(serve::Services& s, const std::filesystem::path& file, const SynthFlags& f) {
  if (const auto id = s.ingest->submissions().earlier_with_blob(core::sha256_file(file), INT64_MAX)) return *id;
  ingest::SubmissionMeta meta;
  meta.label = ingest::Label::real;
  meta.source = f.original_source.empty() ? f.source : f.original_source;
  meta.trusted = true;
  meta.confirmed_by = f.operator_name;
  return s.ingest->submit_file(file, meta, "path").id;
}

void submit(const DataOptions& options, const SynthFlags& f, const std::vector<synth::SynthItem>& items) {
  const core::Config config = load_config(options);
  core::SystemClock clock;
  serve::Services services(config, clock);
  std::vector<int64_t> ids;
  for (const auto& item : items) {
    const int64_t original = original_submission(services, item.original, f);
    ingest::SubmissionMeta meta;
    meta.label = ingest::Label::fake;
    meta.source = f.source;
    meta.method = std::string("synth-") + synth::method_name(item.method);
    meta.derived_from = {"#" + std::to_string(original)};
    meta.trusted = true;
    meta.confirmed_by = f.operator_name;
    const auto receipt = services.ingest->submit_file(item.file, meta, "path");
    ids.push_back(original), ids.push_back(receipt.id);
    std::cout << nlohmann::json{{"file", item.file.string()}, {"submission", receipt.id}, {"original", item.original.string()},
                                {"derived_from", original}}.dump()
              << std::endl;
  }
  if (!f.wait) return;
  retrain::configure_torch(static_cast<int>(config.get(core::keys::torch_threads)));
  serve::run_ingest_until_finished(services, config, ids);
}

} // namespace

void add_synth_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<DataOptions>();
  auto f = std::make_shared<SynthFlags>();
  auto* cmd = app.add_subcommand("synth", "Make labelled pseudo-fake videos from real clips (one per input), with a "
                                          "JSONL manifest (manifest.jsonl in --out)");
  add_data_options(*cmd, *options);
  cmd->add_option("inputs", f->inputs, "Real clips or folders of them (blend and swap take donors from the others "
                                       "unless --donors is given)")
      ->required();
  cmd->add_option("--donors", f->donors, "Folder of clips or images of people outside the dataset: blend and swap "
                                         "take donors only from it");
  cmd->add_option("--method", f->method, "blend (Face X-ray), self-blend (SBI), lowres, swap")
      ->check(CLI::IsMember({"blend", "self-blend", "lowres", "swap"}));
  cmd->add_option("--seed", f->seed, "Random seed: the same seed makes the same fakes");
  cmd->add_option("--out", f->out, "Folder for the fakes and manifest.jsonl")->required();
  cmd->add_option("--crf", f->crf, "H.264 quality, 0-51 (lower is better)")->check(CLI::Range(0, 51));
  cmd->add_flag("--ingest", f->ingest, "Submit the fakes as trusted fakes derived from their originals (needs "
                                       "--source and --operator; each original is submitted as trusted real in its "
                                       "re-encode made exactly as the fakes, <name>.original.mp4)");
  cmd->add_option("--source", f->source, "Source name of the fakes (with --ingest)");
  cmd->add_option("--original-source", f->original_source, "Source name of originals not yet ingested (default: --source)");
  cmd->add_option("--operator", f->operator_name, "Who vouches for the labels (with --ingest)");
  cmd->add_flag("--wait", f->wait, "With --ingest: process the submissions in this process");
  cmd->callback([options, f, &exit_code] {
    if (f->ingest && (f->source.empty() || f->operator_name.empty()))
      throw InvalidInput("--ingest needs --source NAME and --operator NAME");
    const core::Config config = load_config(*options);
    retrain::configure_torch(static_cast<int>(config.get(core::keys::torch_threads)));
    std::vector<std::filesystem::path> inputs;
    for (const auto& in : f->inputs)
      for (const auto& file : ingest::find_videos(in)) inputs.push_back(file);
    if (inputs.empty()) throw InvalidInput("no video among the inputs");
    synth::SynthOptions o;
    o.method = synth::parse_method(f->method);
    o.seed = f->seed;
    o.crf = f->crf;
    o.min_face_score = static_cast<float>(config.get(core::keys::faces_min_score));
    if (!f->donors.empty()) {
      if (!synth::needs_donor(o.method)) throw InvalidInput("--donors is for blend and swap, not " + f->method);
      o.donors = synth::find_donor_files(f->donors);
    }
    faces::SharedFacePipeline faces(config.get(core::keys::faces_models_dir));
    synth::Synthesizer synthesizer(faces.get(), o);
    const auto items = synthesizer.run(inputs, f->out, [](const synth::SynthItem& item) {
      auto j = item.to_json();
      j["seconds"] = item.seconds;
      std::cout << j.dump() << std::endl;
    });
    synth::write_manifest(items, std::filesystem::path(f->out) / "manifest.jsonl");
    if (f->ingest) submit(*options, *f, items);
    exit_code = 0;
  });
}

} // namespace curator::cli
