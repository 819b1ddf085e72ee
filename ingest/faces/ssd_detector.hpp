#pragma once
//! face-api's SSD MobileNetV1 face detector in LibTorch (`ssd_mobilenetv1_model`): the image is padded to
//! a square at the bottom/right, resized to 512 px, run through MobileNetV1 and six box predictors over
//! 5118 anchors, then non-maximum suppression at IoU 0.5, exactly as the package does. Loaded once;
//! detect() is const and thread-safe.
#include "ingest/faces/face_types.hpp"

#include <array>
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

  /// Each face is looked for in a window of the 512 px input detect() would build: `context` times the
  /// face's longer side (but at most 128 px more than it) rounded up to a multiple of 64 px, placed on a
  /// 64 px grid, inside the input. The
  /// window's pixels are the full input's, its anchors the full input's anchors there, so the boxes are
  /// what detect() finds up to the window's border effects, at (window / 512)^2 of the cost. A window
  /// that would cover the whole input is the whole input.
  std::vector<std::vector<FaceBox>> detect_near(const cv::Mat& rgb, const std::vector<FaceBox>& near, float context,
                                                float min_score) const override;
  /// The windows' area over the whole input's (at most 1).
  double near_cost(const cv::Size& frame, const std::vector<FaceBox>& near, float context) const override;
  /// The anchors (ymin, xmin, ymax, xmax; normalised) used for an input of `input_size` px; at 512 the
  /// model's own.
  std::vector<std::array<float, 4>> anchors(int input_size) const;

  struct Weights; // torch tensors, defined in the .cpp

private:
  static std::vector<cv::Rect> input_windows(const cv::Size& frame, const std::vector<FaceBox>& near, float context);
  std::unique_ptr<Weights> w_;
  int max_results_;
};

} // namespace curator::faces
