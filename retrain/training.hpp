#pragma once
//! Training and evaluating the detector (a ResNet18, detector_model.hpp) on a dataset snapshot, without
//! LibTorch in this header. A run lives in its own folder:
//!   checkpoint.pt  model, optimizer, torch RNG, written atomically after every epoch
//!   state.json     epoch, step, curves, best epoch (written after the checkpoint)
//!   model.pt       the best epoch's weights (validation AUC, else validation loss)
//!   last.pt        the weights after the last epoch run
//!   card.json      parameters, initialisation, snapshot id, curves, per-source metrics, duration
//! A run whose folder has a state.json resumes after its last finished epoch and ends with the same
//! weights as an uninterrupted run (data order, augmentation and dropout are all seeded).
//! One run trains at a time per process (LibTorch's thread pool is shared); functions are otherwise
//! independent.
#include "core/error.hpp"
#include "dataset/snapshot.hpp"

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace curator::core {
class Config;
}

namespace curator::retrain {

struct TrainParams {
  std::string backbone = "resnet18"; ///< faceapi (face-pretrained, the configured default), resnet18 or xception
  std::string optimizer = "adam";   ///< adam or sgd (momentum 0.9)
  double lr = 1e-3;                 ///< the (maximum) learning rate of the head
  double backbone_lr = 1.0;         ///< the backbone's learning rate as a share of lr
  std::string freeze = "none";      ///< none, or backbone: only the head trains (a probe of the backbone's features)
  std::string schedule = "one_cycle"; ///< constant, or one_cycle (30% warm-up, cosine down)
  int epochs = 5;
  int batch = 32;
  double dropout = 0.5;
  double weight_decay = 1e-4;       ///< L2 on all weights
  int hidden = 0;                   ///< 0: linear head; else a hidden layer of this width
  std::string train_source = "all"; ///< train on one source's crops, or all
  int image_size = 224;
  int steps_per_epoch = 0;          ///< 0: one pass over the training crops
  int patience = 3;                 ///< epochs without validation improvement before stopping
  uint64_t seed = 1;
  /// Weights the backbone starts from: ImageNet weights of resnet18/xception (a file; empty: from
  /// scratch), or for faceapi the recognition net's weights manifest (required).
  std::string init_weights;
  int loader_workers = 2;
  int bootstrap = 1000;             ///< resamples for confidence intervals
  std::string input_norm;           ///< imagenet, half or faceapi; empty: the backbone's (input_norm_for)
  std::string augment = "strong";   ///< strong (the seed study's set) or mild (flip, small shifts, light colour, JPEG)
  double sbi = 0;                   ///< share of the positives that are self-blends of real training crops
  std::string source_weights = "equal"; ///< how often each source is drawn: equal, or sqrt (of its videos)
  std::string pooling = "mean";     ///< the head's features: mean, or mean_std (retrain/detector_model.hpp)
  int detail = 0;                   ///< > 0: crops reduced to this side and enlarged back before the model (to_chw)
  /// The normalisation this model's inputs get, at training, evaluation and serving alike.
  std::string resolved_input_norm() const;
  nlohmann::json to_json() const;
  /// Missing keys keep their defaults. Throws InvalidInput for unknown values or out-of-range numbers.
  static TrainParams from_json(const nlohmann::json& j);
  void validate() const;
};

/// The training parameters the configuration gives (train.*; faces.models_dir for faceapi's weights), the
/// others at their defaults, then `overrides` (a JSON object of TrainParams fields; the weights and image
/// size follow an overridden backbone unless given too). Throws InvalidInput for values TrainParams refuses.
TrainParams configured_train_params(const core::Config& config, const nlohmann::json& overrides = nullptr);
/// The side a backbone is trained at by default (train.image_size = 0): faceapi 160, resnet18 224, xception 299.
int native_image_size(const std::string& backbone);
/// The weights training starts from: for faceapi, the recognition net's manifest in `face_models_dir`
/// (faces.models_dir); else `configured` (train.init_weights; empty: from scratch).
std::string default_init_weights(const std::string& backbone, const std::string& configured,
                                 const std::filesystem::path& face_models_dir);

/// A run trained by several processes together (retrain/distributed.hpp): the batch is split over the
/// ranks, the gradients averaged every step. Rank 0 records the run; every rank writes its own run folder.
struct DistributedOptions {
  int world_size = 1;                     ///< processes training together; 1: no distribution
  int rank = 0;                           ///< this process, 0 .. world_size - 1 (0 runs the store)
  std::string master = "127.0.0.1:29500"; ///< host:port of rank 0's store
  std::chrono::seconds timeout{300};      ///< for joining and for each collective
  bool enabled() const { return world_size > 1; }
  /// Throws InvalidInput for a rank outside the world or a master that is not host:port.
  void validate() const;
};

struct TrainJob {
  std::filesystem::path data_root; ///< the data folder: manifest crop paths are relative to it
  std::string snapshot_id;
  std::vector<dataset::ManifestItem> items;
  std::filesystem::path run_dir;
  TrainParams params;
  int threads = 2;                    ///< LibTorch intra-op threads
  int stop_after_epoch = 0;           ///< > 0: stop (resumable) once this epoch's checkpoint is written
  std::function<bool()> should_stop;  ///< polled between steps: true stops after the current epoch
  /// Test seam: sees every step's loss and returns the value the run goes on with (a test injects NaN).
  std::function<double(int64_t step, double loss)> observe_loss;
  /// How serving must see faces for this model (video_scorer.hpp serving_settings): copied to the card.
  nlohmann::json serving;
  DistributedOptions distributed; ///< one process by default
};

struct TrainResult {
  std::string state;        ///< done (finished or stopped early by patience) or stopped (resumable)
  std::string init;         ///< "scratch", "imagenet:<sha256 of the weights file>" or "faceapi:<sha256 of its weights>"
  std::string device;       ///< cpu or cuda
  int epochs_run = 0, best_epoch = 0, resumed_after_epoch = 0;
  nlohmann::json curves = nlohmann::json::array(); ///< per epoch: train_loss, val_loss, val_auc (and val_auc_by_source), lr, seconds
  nlohmann::json metrics;   ///< {"test": per source, "val": per source} (evaluate() format), when done
  double seconds = 0;
  std::filesystem::path model; ///< the best weights (model.pt)
  nlohmann::json warnings = nlohmann::json::array(); ///< e.g. a training source with one class only
  nlohmann::json to_json() const;
};

TrainResult train_detector(const TrainJob& job);

/// A model as saved by training: weights plus the parameters that shape its head.
struct ModelRef {
  std::filesystem::path weights; ///< model.pt
  TrainParams params;
  /// From a run folder (or model version folder) holding model.pt and card.json. Throws NotFound.
  static ModelRef from_dir(const std::filesystem::path& dir);
};

/// One crop of a split and the model's fake probability for it.
struct CropScore {
  int64_t video = 0;
  std::string unit; ///< the video's split unit (its manifest group): what the bootstrap resamples
  int track = 0, frame = 0;
  std::string source;
  int label = 0; ///< 1 fake, 0 real
  double p_fake = 0;
  bool random_intake = false; ///< confirmed through the review queue's random intake
};

/// A model gave a non-finite score: it diverged and must never be ranked or served.
struct DivergedModel : InvalidInput {
  using InvalidInput::InvalidInput;
};

/// The model's probability for every crop of `split`, in manifest order, in float32 or (`bf16`) in
/// bfloat16 as serving may run it. Throws DivergedModel when the model gives a non-finite score.
std::vector<CropScore> score_split(const ModelRef& model, const std::filesystem::path& data_root,
                                   const std::vector<dataset::ManifestItem>& items, const std::string& split,
                                   int threads, bool bf16 = false);

/// Per source (and "all"): frame-level metrics (intervals drawing whole videos), and video-level with the
/// mean and the confident strategy, each with bootstrap intervals (metrics.hpp summarize()), and
/// "worst": the faces the model got most wrong, [{video, track, frame, label, p_fake}], one per video,
/// at most 8, worst first.
nlohmann::json summarize_scores(const std::vector<CropScore>& scores, int bootstrap);

/// summarize_scores(score_split(...)) with the model's bootstrap setting.
nlohmann::json evaluate(const ModelRef& model, const std::filesystem::path& data_root,
                        const std::vector<dataset::ManifestItem>& items, const std::string& split, int threads);

/// Writes the model as TorchScript (python: torch.jit.load(path)(images) gives the fake logits; images
/// N x 3 x H x W, RGB normalised as the card's params.input_norm says: imagenet or half, (x/255 - 0.5) /
/// 0.5). Atomic (temporary file, rename).
void export_torchscript(const ModelRef& model, const std::filesystem::path& out);
/// The C++ model's logits for a fixed input (two images of hash noise, tests/support/formula_weights.py's
/// check_input), to compare with the export run elsewhere.
std::vector<double> logits_for_check(const ModelRef& model, int size);
/// The same, for a detector with a linear head right after ImageNet-format weights were loaded into it
/// (as training's init does): to compare with the reference model that wrote the file.
std::vector<double> init_logits_for_check(const std::filesystem::path& file, const std::string& backbone, int size);

struct WeightsReport {
  int loaded = 0, skipped = 0; ///< tensors copied by name; tensors of the file the model has no place for
  std::string sha256;          ///< of the file
};
/// Loads ImageNet weights (torchvision ResNet18, or pretrainedmodels Xception) into a fresh detector with
/// that backbone, as training's init does, and reports it. Throws InvalidInput for a file that is
/// neither, or an unknown backbone.
WeightsReport inspect_init_weights(const std::filesystem::path& file, const std::string& backbone = "resnet18");

/// face-api's 128-d descriptors of 150 x 150 RGB chips (8-bit), computed by the faceapi backbone's trunk as
/// training initialises it from `face_models_dir` (faces.models_dir), with face-api's own 128-d layer on its
/// last stage's pooled output: to compare with the recognition net the faces module runs. Throws
/// InvalidInput when the weights are not the pinned ones.
std::vector<std::vector<float>> faceapi_descriptors_for_check(const std::filesystem::path& face_models_dir,
                                                              const std::vector<cv::Mat>& chips);

/// The largest absolute difference between two weight files' tensors (for resume checks).
double max_weight_difference(const std::filesystem::path& a, const std::filesystem::path& b);

} // namespace curator::retrain
