#pragma once
//! face-api's SSD MobileNetV1 face detector in LibTorch (`ssd_mobilenetv1_model`): the image is padded to
//! a square at the bottom/right, resized to 512 px, run through MobileNetV1 and six box predictors over
//! 5118 anchors, then non-maximum suppression at IoU 0.5, exactly as the package does. Loaded once;
//! detect() is const and thread-safe.
#include "ingest/faces/face_types.hpp"

#include <filesystem>
#include <memory>

namespace curator::faces {

class SsdDetector final : public FaceDetector {
public:
  explicit SsdDetector(const std::filesystem::path& model_dir, int max_results = 100);
  ~SsdDetector() override;

  std::vector<FaceBox> detect(const cv::Mat& rgb, float min_score) const override;
  /// One forward pass for all images.
  std::vector<std::vector<FaceBox>> detect_batch(const std::vector<cv::Mat>& rgb, float min_score) const;

  struct Weights; // torch tensors, defined in the .cpp

private:
  std::unique_ptr<Weights> w_;
  int max_results_;
};

} // namespace curator::faces
