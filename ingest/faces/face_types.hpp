#pragma once
//! The faces vocabulary and its seams. FaceDetector, LandmarkModel and FaceEmbedder are interfaces so
//! that ingest and tests can swap implementations (the face-api ports in this folder, or fakes).
//! Images are RGB, 8-bit, 3 channels (cv::Mat CV_8UC3); coordinates are pixels of that image.
//! Implementations must be safe to call from several threads at once (the face-api ports are: they hold
//! only immutable weights).
#include <opencv2/core.hpp>

#include <array>
#include <vector>

namespace curator::faces {

struct FaceBox {
  float x = 0, y = 0, width = 0, height = 0;
  float score = 0;
  float iou(const FaceBox& other) const;
};

using Landmarks68 = std::array<cv::Point2f, 68>;
using Embedding = std::array<float, 128>;

/// Euclidean distance; face-api (dlib) embeddings of one person are closer than about 0.6.
float embedding_distance(const Embedding& a, const Embedding& b);

class FaceDetector {
public:
  virtual ~FaceDetector() = default;
  /// Faces scoring at least `min_score`, best first.
  virtual std::vector<FaceBox> detect(const cv::Mat& rgb, float min_score) const = 0;
  /// For each of `near`, the faces detect() would find in a square region about `context` times its
  /// longer side around it (a detector may look at that region only, which is cheaper than the frame).
  /// The default runs detect() on the whole frame once and gives every entry all of its faces.
  virtual std::vector<std::vector<FaceBox>> detect_near(const cv::Mat& rgb, const std::vector<FaceBox>& near,
                                                        float context, float min_score) const;
  /// What detect_near() costs on a frame of `frame`'s size, as a share of detect() (default: 1).
  virtual double near_cost(const cv::Size& frame, const std::vector<FaceBox>& near, float context) const {
    return 1.0;
  }
};

class LandmarkModel {
public:
  virtual ~LandmarkModel() = default;
  /// 68 points for each box (batched), in image coordinates.
  virtual std::vector<Landmarks68> locate(const cv::Mat& rgb, const std::vector<FaceBox>& faces) const = 0;
};

class FaceEmbedder {
public:
  virtual ~FaceEmbedder() = default;
  /// One embedding per chip, batched. Chips are 150x150 RGB, CV_8UC3 or CV_32FC3 with values 0..255.
  virtual std::vector<Embedding> embed(const std::vector<cv::Mat>& chips) const = 0;
};

} // namespace curator::faces
