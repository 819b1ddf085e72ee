// The training loop: balanced epochs, augmentation in loader threads, Adam or SGD with an optional
// one-cycle schedule, validation after every epoch, early stopping, checkpoints for exact resume, and
// the final per-source evaluation of the best epoch.
#include "retrain/training.hpp"
#include "retrain/distributed.hpp"

#include "core/data_dir.hpp"
#include "core/error.hpp"
#include "core/logging.hpp"
#include "core/version.hpp"
#include "retrain/batch_loader.hpp"
#include "retrain/changed_faces.hpp"
#include "retrain/detector_model.hpp"
#include "retrain/metrics.hpp"
#include "retrain/model_io.hpp"
#include "retrain/torch_runtime.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <cmath>
#include <fstream>
#include <set>

namespace curator::retrain {

nlohmann::json TrainResult::to_json() const {
  return {{"state", state},         {"init", init},           {"device", device},
          {"epochs_run", epochs_run}, {"best_epoch", best_epoch}, {"resumed_after_epoch", resumed_after_epoch},
          {"curves", curves},       {"metrics", metrics},     {"seconds", seconds},
          {"model", model.string()}, {"warnings", warnings}};
}

namespace {

using Clock = std::chrono::steady_clock;

torch::Tensor to_model_input(Batch& b, torch::Device device) {
  auto x = torch::from_blob(b.images.data(), {static_cast<int64_t>(b.count()), 3, b.size, b.size}).to(device);
  return device.is_cpu() ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x;
}

// The crops of a split (and source), as samples. With `keep`, the items it marks false are left out.
std::vector<Sample> samples_of(const std::vector<dataset::ManifestItem>& items, const std::string& split,
                               const std::string& source, const std::vector<bool>* keep = nullptr) {
  std::vector<Sample> out;
  for (size_t i = 0; i < items.size(); ++i)
    if (const auto& m = items[i]; m.split == split && (source == "all" || m.source == source) && (!keep || (*keep)[i]))
      out.push_back({m.crop, m.label == "fake" ? 1 : 0, m.source, m.video, m.frame, m.landmarks, PairPart::none});
  return out;
}

// Validation with self-blends: with SBI on, each real validation video with landmarks also appears as a
// self-blended fake video (its own pseudo-id), so every source with real validation videos can be judged
// at video level, a real-only source included; a source's real fakes still count as they are.
std::vector<Sample> with_self_blended_videos(std::vector<Sample> val, const TrainParams& p) {
  if (p.sbi <= 0) return val;
  const size_t n = val.size();
  for (size_t i = 0; i < n; ++i) {
    if (val[i].label != 0 || val[i].landmarks.size() != 136) continue;
    Sample blend = val[i];
    blend.pair = PairPart::blend, blend.label = 1, blend.video = -1 - val[i].video;
    val.push_back(std::move(blend));
  }
  return val;
}

double lr_at(const TrainParams& p, int64_t step, int64_t total) {
  if (p.schedule == "constant" || total <= 1) return p.lr;
  // One cycle: linear warm-up from lr/25 over 30% of the steps, then cosine down to lr/1e4.
  const double warm = 0.3 * total, t = static_cast<double>(step);
  if (t < warm) return p.lr / 25 + (p.lr - p.lr / 25) * t / warm;
  const double progress = (t - warm) / std::max(1.0, total - warm);
  return p.lr / 1e4 + (p.lr - p.lr / 1e4) * 0.5 * (1 + std::cos(M_PI * std::min(1.0, progress)));
}

void set_lr(torch::optim::Optimizer& opt, const std::vector<double>& shares, double lr) {
  auto& groups = opt.param_groups();
  for (size_t i = 0; i < groups.size(); ++i) groups[i].options().set_lr(lr * (i < shares.size() ? shares[i] : 1.0));
}

struct EvalOut {
  double loss = NAN, auc = NAN;
  nlohmann::json auc_by_source = nlohmann::json::object(); ///< null where a source lacks a class
  /// Video level (a video's mean fake probability): per source, and their mean over the sources with
  /// both classes (NaN when none has): what epochs and runs are chosen on, as the gate judges per source.
  nlohmann::json video_auc_by_source = nlohmann::json::object();
  double video_auc = NAN;
};

// Per source, the AUC of the videos' mean scores.
void video_level(EvalOut& out, const std::vector<double>& scores, const std::vector<int>& labels,
                 const std::vector<const Sample*>& samples) {
  std::map<std::string, std::map<int64_t, std::pair<double, int>>> sums; // source -> video -> (sum, n)
  std::map<int64_t, int> label_of;
  for (size_t i = 0; i < scores.size(); ++i) {
    auto& [sum, n] = sums[samples[i]->source][samples[i]->video];
    sum += scores[i], ++n;
    label_of[samples[i]->video] = labels[i];
  }
  double total = 0;
  int counted = 0;
  for (const auto& [source, videos] : sums) {
    std::vector<double> s;
    std::vector<int> l;
    for (const auto& [video, sn] : videos) s.push_back(sn.first / sn.second), l.push_back(label_of[video]);
    const double auc = roc_auc(s, l);
    out.video_auc_by_source[source] = std::isnan(auc) ? nlohmann::json() : nlohmann::json(auc);
    if (!std::isnan(auc)) total += auc, ++counted;
  }
  out.video_auc = counted ? total / counted : NAN;
}

// Loss and frame AUC on a split (no augmentation).
EvalOut validate(Detector& model, const std::filesystem::path& root, const std::vector<Sample>& samples,
                 const TrainParams& p, torch::Device device) {
  EvalOut out;
  if (samples.empty()) return out;
  model->eval();
  torch::NoGradGuard no_grad;
  LoaderOptions lo;
  lo.batch = p.batch, lo.image_size = p.image_size, lo.workers = p.loader_workers;
  lo.norm = parse_input_norm(p.resolved_input_norm());
  lo.detail = p.detail;
  BatchLoader loader(root, samples, lo);
  Batch b;
  std::vector<double> scores;
  std::vector<int> labels;
  std::vector<const std::string*> sources;
  std::vector<const Sample*> of;
  double loss_sum = 0;
  while (loader.next(b)) {
    auto x = to_model_input(b, device);
    auto y = torch::from_blob(b.labels.data(), {static_cast<int64_t>(b.count())}).to(device);
    auto logits = model->forward(x);
    loss_sum += torch::binary_cross_entropy_with_logits(logits, y, {}, {}, at::Reduction::Sum).item<double>();
    auto prob = torch::sigmoid(logits).to(torch::kCPU);
    for (int64_t i = 0; i < prob.size(0); ++i) {
      scores.push_back(prob[i].item<double>());
      labels.push_back(static_cast<int>(b.labels[i]));
      sources.push_back(&samples[b.positions[i]].source);
      of.push_back(&samples[b.positions[i]]);
    }
  }
  video_level(out, scores, labels, of);
  out.loss = loss_sum / samples.size();
  out.auc = roc_auc(scores, labels);
  std::map<std::string, std::pair<std::vector<double>, std::vector<int>>> by_source;
  for (size_t i = 0; i < scores.size(); ++i) {
    auto& [s, l] = by_source[*sources[i]];
    s.push_back(scores[i]), l.push_back(labels[i]);
  }
  for (const auto& [source, sl] : by_source) {
    const double auc = roc_auc(sl.first, sl.second);
    out.auc_by_source[source] = std::isnan(auc) ? nlohmann::json() : nlohmann::json(auc);
  }
  return out;
}

struct RunState {
  int epoch = 0;       ///< last finished epoch
  int64_t step = 0;
  int best_epoch = 0, since_best = 0;
  double best_score = -INFINITY;
  nlohmann::json curves = nlohmann::json::array();
  double seconds = 0;
  std::string init;
  double probe_loss_before = NAN; ///< training loss on the probe crops before the first step
};

nlohmann::json state_json(const RunState& s) {
  return {{"epoch", s.epoch},   {"step", s.step},     {"best_epoch", s.best_epoch}, {"since_best", s.since_best},
          {"best_score", s.best_score}, {"curves", s.curves}, {"seconds", s.seconds}, {"init", s.init},
          {"probe_loss_before", std::isnan(s.probe_loss_before) ? nlohmann::json() : nlohmann::json(s.probe_loss_before)}};
}

RunState state_from(const nlohmann::json& j) {
  RunState s;
  s.epoch = j.at("epoch"), s.step = j.at("step"), s.best_epoch = j.at("best_epoch"), s.since_best = j.at("since_best");
  s.best_score = j.at("best_score").is_number() ? j.at("best_score").get<double>() : -INFINITY;
  s.curves = j.at("curves"), s.seconds = j.at("seconds"), s.init = j.at("init");
  if (j.contains("probe_loss_before") && j["probe_loss_before"].is_number()) s.probe_loss_before = j["probe_loss_before"];
  return s;
}


// The model and optimizer of a run, initialised from face-api's recognition net, ImageNet weights or
// from scratch. The optimizer has one parameter group for the head and, unless the backbone is frozen, one
// for the backbone at `backbone_lr` times the head's rate.
struct Setup {
  Detector model{nullptr};
  std::unique_ptr<torch::optim::Optimizer> opt;
  std::vector<double> lr_shares; ///< per parameter group, of the scheduled rate
  std::string init;
};

std::string initialise(Detector& model, const TrainParams& p) {
  auto log = core::logger("train");
  if (p.backbone == "faceapi") {
    const auto sha = load_faceapi_weights(model->faceapi, p.init_weights);
    log->info("initialised the faceapi backbone from {}", p.init_weights);
    return "faceapi:" + sha;
  }
  if (!p.init_weights.empty()) {
    const auto report = load_imagenet_weights(model, p.init_weights);
    log->info("initialised from {}: {} tensors loaded, {} skipped (the head)", p.init_weights, report.loaded, report.skipped);
    return "imagenet:" + report.sha256;
  }
  log->warn("no ImageNet weights given (train.init_weights): training {} from scratch; the gate refuses such a "
            "model unless promotion.allow_scratch", p.backbone);
  return "scratch";
}

template <typename Options>
std::vector<torch::optim::OptimizerParamGroup> param_groups(Setup& s, const TrainParams& p, const Options& base) {
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(s.model->head_parameters(), std::make_unique<Options>(base));
  s.lr_shares = {1.0};
  if (p.freeze == "backbone") {
    for (auto& t : s.model->backbone_parameters()) t.set_requires_grad(false);
  } else {
    auto o = std::make_unique<Options>(base);
    o->lr(p.lr * p.backbone_lr);
    groups.emplace_back(s.model->backbone_parameters(), std::move(o));
    s.lr_shares.push_back(p.backbone_lr);
  }
  return groups;
}

Setup set_up(const TrainParams& p, torch::Device device) {
  torch::manual_seed(p.seed);
  Setup s;
  s.model = Detector(detector_options(p));
  s.init = initialise(s.model, p);
  s.model->to(device);
  if (device.is_cpu()) use_channels_last(*s.model); // lets oneDNN run the convolutions
  if (p.optimizer == "sgd") {
    const auto o = torch::optim::SGDOptions(p.lr).momentum(0.9).weight_decay(p.weight_decay);
    s.opt = std::make_unique<torch::optim::SGD>(param_groups(s, p, o), o);
  } else {
    const auto o = torch::optim::AdamOptions(p.lr).weight_decay(p.weight_decay);
    s.opt = std::make_unique<torch::optim::Adam>(param_groups(s, p, o), o);
  }
  return s;
}

// One epoch of training; returns the mean training loss. A non-finite loss ends the run (a diverged
// model must fail, not be evaluated and promoted).
// This rank's share of an epoch: from each batch of `batch`, the `batch / world` samples at its offset,
// with their positions in the whole epoch (which seed their augmentation). One process takes everything.
std::pair<std::vector<Sample>, std::vector<size_t>> share_of(std::vector<Sample> epoch, int batch, const DataParallel* dp) {
  if (!dp) return {std::move(epoch), {}};
  const size_t world = static_cast<size_t>(dp->world_size()), per_rank = static_cast<size_t>(batch) / world;
  std::vector<Sample> mine;
  std::vector<size_t> positions;
  for (size_t first = 0; first < epoch.size(); first += static_cast<size_t>(batch))
    for (size_t k = 0; k < per_rank; ++k) {
      const size_t i = first + static_cast<size_t>(dp->rank()) * per_rank + k;
      if (i >= epoch.size()) break;
      mine.push_back(std::move(epoch[i]));
      positions.push_back(i);
    }
  return {std::move(mine), std::move(positions)};
}

double train_epoch(const TrainJob& job, Setup& s, const std::vector<Sample>& train, int epoch, int steps,
                   int64_t total_steps, RunState& st, torch::Device device, DataParallel* dp) {
  const auto& p = job.params;
  s.model->train();
  LoaderOptions lo;
  lo.batch = dp ? p.batch / dp->world_size() : p.batch;
  lo.image_size = p.image_size, lo.train = true, lo.workers = p.loader_workers;
  lo.norm = parse_input_norm(p.resolved_input_norm());
  lo.detail = p.detail;
  lo.augment = augment_preset(p.augment);
  lo.seed = p.seed * 1000003ULL + static_cast<uint64_t>(epoch);
  EpochOptions eo;
  eo.sbi = p.sbi, eo.sqrt_weights = p.source_weights == "sqrt";
  auto [mine, positions] = share_of(balanced_epoch(train, static_cast<size_t>(steps) * p.batch, p.seed, epoch, eo), p.batch, dp);
  lo.positions = std::move(positions);
  BatchLoader loader(job.data_root, std::move(mine), lo);
  Batch b;
  double loss_sum = 0;
  size_t seen = 0;
  while (loader.next(b)) {
    set_lr(*s.opt, s.lr_shares, lr_at(p, st.step, total_steps));
    auto x = to_model_input(b, device);
    auto y = torch::from_blob(b.labels.data(), {static_cast<int64_t>(b.count())}).to(device);
    s.opt->zero_grad();
    auto loss = torch::binary_cross_entropy_with_logits(s.model->forward(x), y);
    double value = loss.item<double>();
    if (dp) value = dp->average(value); // the loss of the whole batch: every rank decides alike
    if (job.observe_loss) value = job.observe_loss(st.step, value);
    if (!std::isfinite(value))
      throw InvalidInput("the training loss became " + std::string(std::isnan(value) ? "NaN" : "infinite") +
                         " at epoch " + std::to_string(epoch) + ", step " + std::to_string(st.step) +
                         ": the run diverged (try a lower learning rate)");
    loss.backward();
    if (dp) dp->average_gradients(*s.model);
    s.opt->step();
    loss_sum += value * b.count();
    seen += b.count();
    ++st.step;
  }
  return loss_sum / std::max<size_t>(1, seen);
}

// The card: everything about the run a model version keeps.
// The card is published with the model: it keeps the metrics but not the faces a model got most wrong
// (they name submissions; the run's record keeps them for staff).
nlohmann::json published_metrics(nlohmann::json metrics) {
  for (auto& split : metrics)
    if (split.is_object())
      for (auto& source : split)
        if (source.is_object()) source.erase("worst");
  return metrics;
}

nlohmann::json card_of(const TrainJob& job, const TrainResult& r, const std::vector<Sample>& train) {
  const auto& p = job.params;
  std::set<std::string> sources, all_sources;
  for (const auto& s : train) sources.insert(s.source);
  for (const auto& m : job.items) all_sources.insert(m.source);
  std::vector<std::string> cross;
  for (const auto& s : all_sources)
    if (!sources.count(s)) cross.push_back(s);
  return {{"backbone", p.backbone},        {"init", r.init},
          {"params", p.to_json()},        {"snapshot_id", job.snapshot_id},
          {"code_version", core::code_version()}, {"device", r.device},
          {"training_sources", sources},  {"cross_sources", cross},
          {"epochs_run", r.epochs_run},   {"best_epoch", r.best_epoch},
          {"curves", r.curves},           {"metrics", published_metrics(r.metrics)},
          {"warnings", r.warnings},       {"seconds", r.seconds},
          {"serving", job.serving}};
}

// Where the run stands: a fresh start, or the state and checkpoint an interrupted run left.
RunState resume_or_start(const TrainJob& job, Setup& setup, torch::Device device, TrainResult& result) {
  RunState st;
  st.init = setup.init;
  const auto checkpoint = job.run_dir / "checkpoint.pt", state_file = job.run_dir / "state.json";
  if (!std::filesystem::exists(state_file) || !std::filesystem::exists(checkpoint)) return st;
  st = state_from(nlohmann::json::parse(std::ifstream(state_file)));
  load_checkpoint(checkpoint, *setup.model, *setup.opt);
  if (device.is_cpu()) use_channels_last(*setup.model); // loading may hand back contiguous tensors
  result.resumed_after_epoch = st.epoch;
  core::logger("train")->info("resuming {} after epoch {}", job.run_dir.string(), st.epoch);
  return st;
}

struct EpochScores {
  double train_loss, probe_loss, val_loss, val_auc, lr, seconds;
  nlohmann::json val_auc_by_source;
  double val_video_auc;
  nlohmann::json val_video_auc_by_source;
};

// After an epoch: the best weights so far (the mean over sources of the video-level validation AUC
// decides; without a source with both classes of validation videos, the frame AUC; without both classes
// in val, the lowest validation loss; without validation crops at all, the lowest training loss), the
// curve, and a checkpoint with the run's state, so a killed run resumes after this epoch.
void close_epoch(const TrainJob& job, Setup& setup, RunState& st, int epoch, const EpochScores& e) {
  const double score = !std::isnan(e.val_video_auc) ? 1 + e.val_video_auc
                       : !std::isnan(e.val_auc)     ? e.val_auc
                       : !std::isnan(e.val_loss)    ? -1 - e.val_loss
                                                    : -1 - e.train_loss;
  st.epoch = epoch;
  if (score >= st.best_score) { // a tie goes to the later, longer-trained epoch
    st.best_score = score, st.best_epoch = epoch, st.since_best = 0;
    save_weights(*setup.model, job.run_dir / "model.pt");
  } else {
    ++st.since_best;
  }
  auto num = [](double x) { return std::isnan(x) ? nlohmann::json() : nlohmann::json(x); };
  st.curves.push_back({{"epoch", epoch}, {"train_loss", e.train_loss}, {"train_eval_loss", num(e.probe_loss)},
                       {"train_eval_loss_before", num(st.probe_loss_before)}, {"val_loss", num(e.val_loss)},
                       {"val_auc", num(e.val_auc)}, {"val_auc_by_source", e.val_auc_by_source},
                       {"val_video_auc", num(e.val_video_auc)}, {"val_video_auc_by_source", e.val_video_auc_by_source}, {"lr", e.lr},
                       {"seconds", e.seconds}});
  save_checkpoint(job.run_dir / "checkpoint.pt", *setup.model, *setup.opt);
  core::write_file_atomic(job.run_dir / "state.json", state_json(st).dump());
  core::logger("train")->info("epoch {}/{}: train loss {:.4f}, val loss {}, val AUC {} (videos, mean over sources {})",
                              epoch, job.params.epochs, e.train_loss, st.curves.back()["val_loss"].dump(),
                              st.curves.back()["val_auc"].dump(), st.curves.back()["val_video_auc"].dump());
}

} // namespace

TrainResult train_detector(const TrainJob& job) {
  const auto& p = job.params;
  p.validate();
  job.distributed.validate();
  auto log = core::logger("train");
  torch::set_num_threads(std::max(1, job.threads));
  const torch::Device device = torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  std::filesystem::create_directories(job.run_dir);
  // Positives only where the face was changed: faces a fake shows as its original did are left out.
  const auto changed = changed_faces(job.items, job.data_root);
  const auto train = samples_of(job.items, "train", p.train_source, &changed);
  if (const auto unchanged = std::count(changed.begin(), changed.end(), false); unchanged > 0)
    log->info("{} faces of fake videos are unchanged from their originals: left out of the positives", unchanged);
  // A single-source run picks its best epoch on its own source's validation videos; the others are
  // cross-source results in its card.
  const auto val = with_self_blended_videos(samples_of(job.items, "val", p.train_source), p);
  if (train.empty()) throw InvalidInput("the snapshot has no training crops for source '" + p.train_source + "'");
  TrainResult result;
  std::set<std::string> blendable; // sources whose positives can be self-blends of their reals
  for (const auto& s : train)
    if (p.sbi > 0 && s.label == 0 && s.landmarks.size() == 136) blendable.insert(s.source);
  for (const auto& source : one_class_sources(train)) {
    if (blendable.count(source)) {
      log->info("training source {} has real videos only: its positives are self-blends of its reals", source);
      continue;
    }
    result.warnings.push_back("training source " + source +
                              " has one class only: the sampler cannot balance its labels, and the label mix of "
                              "the whole run leans towards that class");
    log->warn("{}", result.warnings.back().get<std::string>());
  }

  auto setup = set_up(p, device);
  RunState st = resume_or_start(job, setup, device, result);
  std::unique_ptr<DataParallel> dp;
  if (job.distributed.enabled()) {
    if (p.batch % job.distributed.world_size != 0 || (p.sbi > 0 && (p.batch / job.distributed.world_size) % 2 != 0))
      throw InvalidInput("the batch (" + std::to_string(p.batch) + ") must split evenly over " +
                         std::to_string(job.distributed.world_size) + " ranks (into an even share with self-blends)");
    dp = std::make_unique<DataParallel>(job.distributed);
    dp->broadcast(*setup.model); // one start: rank 0's (a resumed run's ranks load the same checkpoint anyway)
  }
  const int steps = p.steps_per_epoch > 0 ? p.steps_per_epoch
                                          : static_cast<int>((train.size() + p.batch - 1) / p.batch);
  const int64_t total_steps = static_cast<int64_t>(steps) * p.epochs;
  // A fixed set of training crops, measured without augmentation before training and after every
  // epoch: the training loss, free of augmentation noise.
  const auto probe = balanced_epoch(train, std::min<size_t>(256, train.size()), p.seed, 0);
  if (st.epoch == 0) st.probe_loss_before = validate(setup.model, job.data_root, probe, p, device).loss;
  const auto started = Clock::now();
  const double seconds_before = st.seconds;
  bool stopped = false;
  while (st.epoch < p.epochs && st.since_best < p.patience) {
    const int epoch = st.epoch + 1;
    const auto t0 = Clock::now();
    const double train_loss = train_epoch(job, setup, train, epoch, steps, total_steps, st, device, dp.get());
    const auto v = validate(setup.model, job.data_root, val, p, device);
    const double probe_loss = validate(setup.model, job.data_root, probe, p, device).loss;
    st.seconds = seconds_before + std::chrono::duration<double>(Clock::now() - started).count();
    close_epoch(job, setup, st, epoch,
                {train_loss, probe_loss, v.loss, v.auc, lr_at(p, st.step - 1, total_steps),
                 std::chrono::duration<double>(Clock::now() - t0).count(), v.auc_by_source, v.video_auc,
                 v.video_auc_by_source});
    if ((job.stop_after_epoch > 0 && epoch >= job.stop_after_epoch) || (job.should_stop && job.should_stop())) {
      stopped = st.epoch < p.epochs && st.since_best < p.patience;
      break;
    }
  }
  save_weights(*setup.model, job.run_dir / "last.pt"); // the final weights, whichever epoch was best
  result.state = stopped ? "stopped" : "done";
  result.init = st.init;
  result.device = device.is_cuda() ? "cuda" : "cpu";
  result.epochs_run = st.epoch;
  result.best_epoch = st.best_epoch;
  result.curves = st.curves;
  result.seconds = st.seconds;
  result.model = job.run_dir / "model.pt";
  if (!stopped && job.distributed.rank == 0) { // the other ranks hold the same weights: rank 0 evaluates
    ModelRef best{result.model, p};
    const auto test = score_split(best, job.data_root, job.items, "test", job.threads);
    result.metrics = {{"test", summarize_scores(test, p.bootstrap)},
                      {"val", evaluate(best, job.data_root, job.items, "val", job.threads)}};
    // The same test metrics on the random intake alone: test videos the champion did not choose.
    std::vector<CropScore> random;
    std::copy_if(test.begin(), test.end(), std::back_inserter(random), [](const CropScore& c) { return c.random_intake; });
    if (!random.empty()) result.metrics["test_random_intake"] = summarize_scores(random, p.bootstrap);
    core::write_file_atomic(job.run_dir / "card.json", card_of(job, result, train).dump(1));
  }
  return result;
}

} // namespace curator::retrain
