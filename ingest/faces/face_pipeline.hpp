#pragma once
//! Detector + landmarks + identity embeddings, loaded once from the face-api models folder and shared.
//! analyze() is const and thread-safe. A missing model is a curator::Unavailable error that names the
//! folder and the command that fetches the models.
#include "ingest/faces/face_types.hpp"

#include <filesystem>
#include <memory>
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
  std::vector<DetectedFace> analyze(const cv::Mat& rgb, float min_score, bool embed) const;

  const FaceDetector& detector() const;
  const LandmarkModel& landmarks() const;
  const FaceEmbedder& embedder() const;

private:
  std::unique_ptr<FaceDetector> detector_;
  std::unique_ptr<LandmarkModel> landmarks_;
  std::unique_ptr<FaceEmbedder> embedder_;
};

/// The folder holding the weight manifests; throws Unavailable (naming ops/setup.sh) when absent.
std::filesystem::path require_face_models(const std::filesystem::path& models_dir);

} // namespace curator::faces
