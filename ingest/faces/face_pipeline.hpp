#pragma once
//! Detector + landmarks + identity embeddings, loaded once from the face-api models folder and shared.
//! analyze() is const and thread-safe. A missing model is a curator::Unavailable error that names the
//! folder and the command that fetches the models.
#include "ingest/faces/face_types.hpp"

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>

namespace curator::faces {

struct DetectedFace {
  FaceBox box;
  Landmarks68 landmarks;
  std::optional<Embedding> embedding;
};

class FacePipeline {
public:
  /// `models_dir` is the configured faces.models_dir (the weights are in its model/ folder).
  explicit FacePipeline(const std::filesystem::path& models_dir);
  ~FacePipeline();

  /// Faces scoring at least `min_score`, best first, with landmarks and (when asked) embeddings.
  /// A frame without faces is searched once more inside a black border, because the detector misses
  /// faces that fill the whole frame; boxes may then reach beyond the frame's edges.
  std::vector<DetectedFace> analyze(const cv::Mat& rgb, float min_score, bool embed) const;

  const FaceDetector& detector() const;
  const LandmarkModel& landmarks() const;
  const FaceEmbedder& embedder() const;

private:
  std::vector<DetectedFace> analyze_once(const cv::Mat& rgb, float min_score, bool embed) const;
  std::unique_ptr<FaceDetector> detector_;
  std::unique_ptr<LandmarkModel> landmarks_;
  std::unique_ptr<FaceEmbedder> embedder_;
};

/// Loads the pipeline on first use (the daemon starts without waiting for the models, and a missing
/// model fails the jobs that need it, not the daemon). get() is thread-safe.
class SharedFacePipeline {
public:
  explicit SharedFacePipeline(std::filesystem::path models_dir) : models_dir_(std::move(models_dir)) {}
  /// Throws Unavailable when the models are missing (and tries again on the next call).
  const FacePipeline& get();

private:
  std::filesystem::path models_dir_;
  std::mutex mutex_;
  std::unique_ptr<FacePipeline> pipeline_;
};

/// The folder holding the weight manifests; throws Unavailable (naming ops/setup.sh) when absent.
std::filesystem::path require_face_models(const std::filesystem::path& models_dir);

} // namespace curator::faces
