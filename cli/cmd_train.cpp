// `curator train` (one run, or --search N random runs; resumable), `curator runs` (what was trained) and
// `curator score VIDEO --model DIR` (per-face, per-frame and video fake probabilities).
#include "cli/app_config.hpp"
#include "cli/commands.hpp"
#include "cli/train_params.hpp"
#include "core/error.hpp"
#include "core/setting_keys.hpp"
#include "dataset/audit.hpp"
#include "dataset/dataset_store.hpp"
#include "dataset/snapshot.hpp"
#include "retrain/search.hpp"
#include "retrain/torch_runtime.hpp"
#include "retrain/video_scorer.hpp"
#include "serve/services.hpp"

#include <atomic>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

namespace curator::cli {

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop = true; }

struct TrainFlags {
  std::string snapshot, search_id, params_json, model, video, optimizer, schedule, source, backbone;
  int search = 0, max_epochs = 10, epochs = 0, batch = 0, hidden = -1, steps = 0, image_size = 0, frames = 0;
  double budget_minutes = 0, lr = 0, dropout = -1, weight_decay = -1;
  uint64_t seed = 0;
  bool json = false;
  int world_size = 1, rank = 0;
  std::string master = "127.0.0.1:29500";
};

std::string timestamp_id(const char* prefix) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return std::string(prefix) + "-" + buf;
}

retrain::TrainParams params_from(const TrainFlags& f, const core::Config& config) {
  nlohmann::json overrides = nlohmann::json::object();
  if (!f.params_json.empty()) {
    overrides = nlohmann::json::parse(f.params_json, nullptr, false);
    if (overrides.is_discarded() || !overrides.is_object()) throw InvalidInput("--params must be a JSON object");
  }
  if (!f.backbone.empty()) overrides["backbone"] = f.backbone; // before the weights and size that follow it
  retrain::TrainParams p = retrain::configured_train_params(config, overrides);
  if (!f.optimizer.empty()) p.optimizer = f.optimizer;
  if (!f.schedule.empty()) p.schedule = f.schedule;
  if (!f.source.empty()) p.train_source = f.source;
  if (f.epochs > 0) p.epochs = f.epochs;
  if (f.batch > 0) p.batch = f.batch;
  if (f.hidden >= 0) p.hidden = f.hidden;
  if (f.steps > 0) p.steps_per_epoch = f.steps;
  if (f.image_size > 0) p.image_size = f.image_size;
  if (f.lr > 0) p.lr = f.lr;
  if (f.dropout >= 0) p.dropout = f.dropout;
  if (f.weight_decay >= 0) p.weight_decay = f.weight_decay;
  if (f.seed > 0) p.seed = f.seed;
  p.validate();
  return p;
}

} // namespace

void add_train_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<DataOptions>();
  auto f = std::make_shared<TrainFlags>();

  auto* train = app.add_subcommand("train", "Train the detector on a snapshot: one run, or a random search "
                                            "(resumable; Ctrl-C stops after the current epoch)");
  add_data_options(*train, *options);
  train->add_option("--snapshot", f->snapshot, "Snapshot id or prefix (default: a fresh snapshot)");
  train->add_option("--search", f->search, "Random search: this many runs over the seed's space")->check(CLI::Range(1, 10000));
  train->add_option("--search-id", f->search_id, "Name of the run or search; give an existing one to resume it");
  train->add_option("--budget-minutes", f->budget_minutes, "Stop starting runs after this long (0: no limit)");
  train->add_option("--max-epochs", f->max_epochs, "Upper bound of the searched epochs")->check(CLI::Range(1, 1000));
  train->add_option("--params", f->params_json, "Training parameters as a JSON object (see docs/operations.md)");
  train->add_option("--backbone", f->backbone, "faceapi, resnet18 or xception (default train.backbone)")
      ->check(CLI::IsMember({"faceapi", "resnet18", "xception"}));
  train->add_option("--optimizer", f->optimizer, "adam or sgd")->check(CLI::IsMember({"adam", "sgd"}));
  train->add_option("--schedule", f->schedule, "constant or one_cycle")->check(CLI::IsMember({"constant", "one_cycle"}));
  train->add_option("--source", f->source, "Train on one source's crops only (default all)");
  train->add_option("--epochs", f->epochs, "Epochs");
  train->add_option("--batch", f->batch, "Batch size");
  train->add_option("--lr", f->lr, "(Maximum) learning rate");
  train->add_option("--dropout", f->dropout, "Dropout on the pooled features");
  train->add_option("--weight-decay", f->weight_decay, "L2 weight decay");
  train->add_option("--hidden", f->hidden, "Hidden layer width of the head (0: linear)");
  train->add_option("--steps-per-epoch", f->steps, "Steps per epoch (default: one pass over the training crops)");
  train->add_option("--image-size", f->image_size, "Crop side in pixels (default train.image_size)");
  train->add_option("--seed", f->seed, "Random seed");
  train->add_option("--world-size", f->world_size, "Processes training this run together (c10d, Gloo)")
      ->check(CLI::Range(1, 1024));
  train->add_option("--rank", f->rank, "This process's rank, 0 .. world size - 1 (0 records the run)");
  train->add_option("--master", f->master, "host:port of rank 0, where the ranks meet (default 127.0.0.1:29500)");
  train->callback([options, f, &exit_code] {
    const core::Config config = load_config(*options);
    retrain::DistributedOptions dist{f->world_size, f->rank, f->master};
    dist.validate();
    if (dist.enabled() && (f->search > 0 || f->snapshot.empty() || f->search_id.empty()))
      throw InvalidInput("a distributed run is one run (no --search), named by --search-id, on a --snapshot every "
                         "rank reads");
    core::SystemClock clock;
    serve::Services s(config, clock);
    const auto settings = dataset::DatasetSettings::from_config(config);
    if (dist.rank > 0) { // trains beside rank 0 in a folder of its own; rank 0 records the run
      const auto snap = dataset::find_snapshot(*s.db, s.dir, f->snapshot);
      retrain::TrainJob job{s.dir.root(), snap.id, dataset::read_manifest(snap.manifest),
                            s.dir.run_folder(f->search_id + ".rank" + std::to_string(dist.rank)), params_from(*f, config),
                            static_cast<int>(config.get(core::keys::torch_threads))};
      job.distributed = dist;
      const auto r = retrain::train_detector(job);
      std::cout << nlohmann::json{{"rank", dist.rank}, {"state", r.state}, {"epochs_run", r.epochs_run}}.dump() << std::endl;
      exit_code = r.state == "done" ? 0 : 3;
      return;
    }
    dataset::SnapshotInfo snap;
    if (f->snapshot.empty()) {
      dataset::refresh_splits(*s.db, clock, settings);
      snap = dataset::create_snapshot(*s.db, s.dir, clock, settings);
    } else {
      snap = dataset::find_snapshot(*s.db, s.dir, f->snapshot);
    }
    dataset::require_no_leaks(*s.db, snap.id, dataset::read_manifest(snap.manifest), settings);
    retrain::SearchOptions o;
    o.base = params_from(*f, config);
    o.sample = f->search > 0;
    o.count = std::max(1, f->search);
    o.search_id = !f->search_id.empty() ? f->search_id : timestamp_id(o.sample ? "search" : "run");
    o.budget_seconds = f->budget_minutes * 60;
    o.max_epochs = f->max_epochs;
    o.threads = static_cast<int>(config.get(core::keys::torch_threads));
    o.serving = retrain::serving_settings(config);
    o.distributed = dist;
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    retrain::SearchContext ctx{*s.db, clock, s.dir.root(), snap.id, dataset::read_manifest(snap.manifest),
                               [] { return g_stop.load(); },
                               [](const retrain::RunRecord& r) { std::cout << r.to_json().dump() << std::endl; }};
    const auto runs = retrain::run_search(ctx, o);
    bool all_done = true;
    for (const auto& r : runs) all_done &= r.state == "done";
    exit_code = all_done ? 0 : 3;
  });

  auto* runs = app.add_subcommand("runs", "List training runs (one JSON line each, oldest first)");
  add_data_options(*runs, *options);
  runs->add_option("--search-id", f->search_id, "Only this search's runs");
  runs->callback([options, f, &exit_code] {
    const core::Config config = load_config(*options);
    core::SystemClock clock;
    serve::Services s(config, clock);
    for (const auto& r : retrain::list_runs(*s.db, f->search_id)) std::cout << r.to_json().dump() << "\n";
    exit_code = 0;
  });

  auto* score = app.add_subcommand("score", "Fake probability of every face, frame and the whole video");
  add_data_options(*score, *options);
  score->add_option("video", f->video, "Video file")->required()->check(CLI::ExistingFile);
  score->add_option("--model", f->model, "Model folder (a run under var/runs, or a model version)")->required();
  score->add_option("--frames", f->frames, "Frames sampled evenly (default: the model card's, else ingest.sample_frames)")->check(CLI::Range(1, 10000));
  score->callback([options, f, &exit_code] {
    const core::Config config = load_config(*options);
    faces::FacePipeline pipeline(config.get(core::keys::faces_models_dir));
    // The model's card says how its faces were made; its settings win over the configuration's.
    const auto card_file = std::filesystem::path(f->model) / "card.json";
    const auto card = std::filesystem::exists(card_file) ? nlohmann::json::parse(std::ifstream(card_file), nullptr, false)
                                                         : nlohmann::json();
    const auto o = retrain::score_options(config, f->frames, card.is_discarded() ? nlohmann::json() : card);
    retrain::configure_torch(static_cast<int>(config.get(core::keys::torch_threads)));
    const retrain::ScoringModel model(retrain::ModelRef::from_dir(f->model),
                                      retrain::parse_precision(config.get(core::keys::score_precision)));
    auto result = retrain::score_video(model, pipeline, f->video, o);
    result["model"] = f->model;
    result["precision"] = retrain::to_string(model.precision());
    std::cout << result.dump() << "\n";
    exit_code = 0;
  });
}

} // namespace curator::cli
