#pragma once
//! face-api's FaceRecognitionNet (dlib's ResNet-29 face descriptor, 128-d) in LibTorch, loaded from
//! `face_recognition_model-weights_manifest.json`. Input: 150x150 RGB chips (see chips.hpp for how
//! face-api builds them). Loaded once; embed() is const and thread-safe.
#include "ingest/faces/face_types.hpp"

#include <filesystem>
#include <memory>

namespace curator::faces {

class RecognitionNet final : public FaceEmbedder {
public:
  /// `model_dir` holds the face-api model files. Throws NotFound/InvalidInput naming the file.
  explicit RecognitionNet(const std::filesystem::path& model_dir);
  ~RecognitionNet() override;
  std::vector<Embedding> embed(const std::vector<cv::Mat>& chips) const override;

  struct Weights; // torch tensors, defined in the .cpp

private:
  std::unique_ptr<Weights> w_;
};

} // namespace curator::faces
