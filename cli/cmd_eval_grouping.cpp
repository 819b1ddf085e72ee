// `curator dataset eval-grouping LABELS.tsv`: measures identity grouping on an operator's own labelled
// sample. Videos go through the real ingest in a scratch data folder (kept with --scratch, so a second run
// only groups again); photos go through the face pipeline. Then the configured grouping runs and
// dataset/grouping_eval.hpp scores it.
#include "cli/app_config.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/setting_keys.hpp"
#include "dataset/dataset_store.hpp"
#include "dataset/grouping_eval.hpp"
#include "ingest/faces/identity.hpp"
#include "ingest/video_store.hpp"
#include "retrain/torch_runtime.hpp"
#include "serve/services.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>

namespace curator::cli {

namespace fs = std::filesystem;

namespace {

struct EvalFlags {
  std::string labels, scratch, sweep;
  int half = -1;
  bool json = false;
};

struct Labelled {
  fs::path path;
  std::string identity;
};

// A TSV with the header `path<TAB>identity`; relative paths are taken from the file's folder.
std::vector<Labelled> read_labels(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw NotFound("cannot read " + file.string());
  std::string line;
  if (!std::getline(in, line) || line.rfind("path\tidentity", 0) != 0)
    throw InvalidInput(file.string() + ": the first line must be the header 'path<TAB>identity'");
  std::vector<Labelled> out;
  for (int number = 2; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const auto tab = line.find('\t');
    if (tab == std::string::npos || tab == 0 || tab + 1 >= line.size())
      throw InvalidInput(file.string() + ":" + std::to_string(number) + ": expected 'path<TAB>identity'");
    std::string identity = line.substr(tab + 1);
    if (const auto more = identity.find('\t'); more != std::string::npos) identity.resize(more);
    fs::path path = line.substr(0, tab);
    if (path.is_relative()) path = file.parent_path() / path;
    out.push_back({path, identity});
  }
  if (out.empty()) throw InvalidInput(file.string() + " lists no files");
  return out;
}

bool is_photo(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  static const std::set<std::string> photos{".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".pgm", ".ppm"};
  return photos.count(ext) > 0;
}

// The most prominent face of a photo as a one-face track (none when no face is found).
std::vector<dataset::EvalTrack> photo_tracks(const faces::FacePipeline& pipeline, const fs::path& file, float min_score) {
  cv::Mat bgr = cv::imread(file.string(), cv::IMREAD_COLOR);
  if (bgr.empty()) throw InvalidInput("cannot read or decode the image " + file.string());
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  const auto found = pipeline.analyze(rgb, min_score, true);
  if (found.empty()) return {};
  const auto best = std::max_element(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.box.width * a.box.height < b.box.width * b.box.height;
  });
  return {{faces::track_identity({*best->embedding}, {faces::face_weight(best->box)}), 1}};
}

// Ingests the videos (each once: a file seen in an earlier run of the same scratch folder is a duplicate
// of its first submission) and returns their tracks, in the order given.
std::vector<std::vector<dataset::EvalTrack>> video_tracks(serve::Services& services, const core::Config& config,
                                                          const std::vector<fs::path>& files) {
  ingest::SubmissionMeta meta;
  meta.source = "eval-grouping";
  std::vector<int64_t> ids;
  for (const auto& f : files) ids.push_back(services.ingest->submit_file(f, meta, "path").id);
  serve::run_ingest_until_finished(services, config, ids);
  ingest::VideoStore videos(*services.db);
  std::vector<std::vector<dataset::EvalTrack>> out;
  for (size_t i = 0; i < ids.size(); ++i) {
    // A duplicate's tracks are those of what it duplicates (which may be a duplicate itself).
    int64_t id = ids[i];
    auto sub = services.ingest->submissions().get(id);
    for (int hops = 0; sub && sub->state == ingest::SubmissionState::duplicate && sub->duplicate_of && hops < 100; ++hops)
      sub = services.ingest->submissions().get(id = *sub->duplicate_of);
    if (sub && sub->state != ingest::SubmissionState::done)
      std::cerr << "eval-grouping: " << files[i].string() << " was " << ingest::submission_state_name(sub->state) << ": "
                << sub->reason.value_or("") << "\n";
    std::vector<dataset::EvalTrack> tracks;
    for (const auto& t : videos.tracks(id)) tracks.push_back({dataset::unit_length(t.identity), t.faces});
    out.push_back(tracks);
  }
  return out;
}

std::vector<float> sweep_values(const std::string& text) {
  float from = 0, to = 0, step = 0;
  if (std::sscanf(text.c_str(), "%f:%f:%f", &from, &to, &step) != 3 || step <= 0 || to < from || from < 0 ||
      (to - from) / step > 1000)
    throw InvalidInput("--sweep takes FROM:TO:STEP, e.g. 0.30:0.44:0.02");
  std::vector<float> out;
  for (int k = 0; from + k * step <= to + step / 1000; ++k) out.push_back(from + k * step);
  return out;
}

int run(const DataOptions& options, const EvalFlags& f) {
  const auto labels = read_labels(f.labels);
  std::vector<Labelled> chosen;
  for (const auto& l : labels)
    if (f.half < 0 || dataset::identity_half(l.identity) == f.half) chosen.push_back(l);
  // The scratch data folder: kept when named, else a fresh temporary one removed afterwards.
  fs::path scratch = f.scratch;
  bool remove_scratch = false;
  if (scratch.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "curator-eval-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw Error(ErrorCode::internal, "cannot create a scratch folder");
    scratch = tmpl;
    remove_scratch = true;
  }
  DataOptions scratch_options = options;
  scratch_options.data_dir = scratch.string();
  const core::Config config = load_config(scratch_options);
  retrain::configure_torch(static_cast<int>(config.get(core::keys::torch_threads)));
  core::SystemClock clock;
  std::vector<dataset::EvalItem> items;
  {
    serve::Services services(config, clock);
    std::vector<fs::path> videos;
    for (const auto& l : chosen)
      if (!is_photo(l.path)) videos.push_back(l.path);
    const auto tracks = video_tracks(services, config, videos);
    const auto& pipeline = services.faces->get();
    const auto min_score = static_cast<float>(config.get(core::keys::faces_min_score));
    size_t v = 0;
    for (const auto& l : chosen) {
      dataset::EvalItem item{l.path.string(), l.identity, {}};
      item.tracks = is_photo(l.path) ? photo_tracks(pipeline, l.path, min_score) : tracks[v++];
      items.push_back(std::move(item));
    }
  }
  if (remove_scratch) fs::remove_all(scratch);
  const auto base = dataset::DatasetSettings::from_config(config).grouping;
  std::vector<float> thresholds = f.sweep.empty() ? std::vector<float>{base.threshold} : sweep_values(f.sweep);
  nlohmann::json sweep = nlohmann::json::array();
  for (float t : thresholds) {
    auto opts = base;
    opts.threshold = t;
    const auto report = dataset::evaluate_grouping(items, opts);
    if (f.json) sweep.push_back(report.to_json());
    else std::cout << report.to_text();
  }
  if (f.json) std::cout << (f.sweep.empty() ? sweep[0] : nlohmann::json{{"sweep", sweep}}).dump() << "\n";
  return 0;
}

} // namespace

void add_eval_grouping_command(CLI::App& dataset_cmd, int& exit_code) {
  auto options = std::make_shared<DataOptions>();
  auto flags = std::make_shared<EvalFlags>();
  auto* cmd = dataset_cmd.add_subcommand(
      "eval-grouping",
      "Measure identity grouping on your own labelled sample: a TSV with the header 'path<TAB>identity' (photos "
      "or videos; relative paths from the TSV's folder). Videos are ingested into a scratch data folder, photos "
      "embedded directly; then the configured grouping (dataset.group_threshold, dataset.group_linkage) is "
      "scored: face- and video-level pairwise precision, recall and F1, groups, the largest group and the "
      "share of groups holding more than one person.");
  add_data_options(*cmd, *options);
  cmd->add_option("labels", flags->labels, "The labels TSV")->required();
  cmd->add_flag("--json", flags->json, "Print one JSON object (with --sweep: {\"sweep\": [...]})");
  cmd->add_option("--scratch", flags->scratch,
                  "Keep the scratch data folder here and reuse it next time (default: a temporary folder)");
  cmd->add_option("--sweep", flags->sweep, "Score every threshold FROM:TO:STEP instead of the configured one");
  cmd->add_option("--half", flags->half, "Only identities of this half (0 or 1, by the SHA-256 of the label): "
                                         "choose settings on one half, report the other")
      ->check(CLI::Range(0, 1));
  cmd->callback([options, flags, &exit_code] { exit_code = run(*options, *flags); });
}

} // namespace curator::cli
