#pragma once
//! face-api's 68-point landmark net (`face_landmark_68_model`, a small DenseNet) in LibTorch. Each face
//! box is cut from the image (clipped to it and floored, as face-api does), padded to a centred square,
//! resized to 112 px; all faces of a call run as one batch. Loaded once; locate() is const and
//! thread-safe.
#include "ingest/faces/face_types.hpp"

#include <filesystem>
#include <memory>

namespace curator::faces {

class LandmarkNet final : public LandmarkModel {
public:
  explicit LandmarkNet(const std::filesystem::path& model_dir);
  ~LandmarkNet() override;
  std::vector<Landmarks68> locate(const cv::Mat& rgb, const std::vector<FaceBox>& faces) const override;

  struct Weights; // torch tensors, defined in the .cpp

private:
  std::unique_ptr<Weights> w_;
};

} // namespace curator::faces
