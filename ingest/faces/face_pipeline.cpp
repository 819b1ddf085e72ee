#include "ingest/faces/face_pipeline.hpp"

#include "core/error.hpp"
#include "ingest/faces/chips.hpp"
#include "ingest/faces/landmark_net.hpp"
#include "ingest/faces/recognition_net.hpp"
#include "ingest/faces/ssd_detector.hpp"

#include <opencv2/core.hpp>

namespace curator::faces {

std::filesystem::path require_face_models(const std::filesystem::path& models_dir) {
  const auto dir = models_dir / "model";
  for (const char* name : {"ssd_mobilenetv1_model", "face_landmark_68_model", "face_recognition_model"}) {
    if (!std::filesystem::exists(dir / (std::string(name) + "-weights_manifest.json")))
      throw Unavailable("face model " + std::string(name) + " not found in " + dir.string() +
                        " (faces.models_dir); run ops/setup.sh, which fetches @vladmandic/face-api into it");
  }
  return dir;
}

FacePipeline::FacePipeline(const std::filesystem::path& models_dir) {
  const auto dir = require_face_models(models_dir);
  detector_ = std::make_unique<SsdDetector>(dir);
  landmarks_ = std::make_unique<LandmarkNet>(dir);
  embedder_ = std::make_unique<RecognitionNet>(dir);
}

FacePipeline::~FacePipeline() = default;

std::vector<DetectedFace> FacePipeline::analyze(const cv::Mat& rgb, float min_score, bool embed) const {
  auto faces = analyze_once(rgb, min_score, embed);
  if (!faces.empty()) return faces;
  // SSD misses a face that fills the whole frame (tight face crops, as in some datasets): look again
  // with a black border of half the frame on every side, then map back to this frame's coordinates.
  const int dx = rgb.cols / 2, dy = rgb.rows / 2;
  cv::Mat padded;
  cv::copyMakeBorder(rgb, padded, dy, dy, dx, dx, cv::BORDER_CONSTANT, cv::Scalar(0, 0, 0));
  faces = analyze_once(padded, min_score, embed);
  for (auto& f : faces) {
    f.box.x -= dx;
    f.box.y -= dy;
    for (auto& p : f.landmarks) p -= cv::Point2f(static_cast<float>(dx), static_cast<float>(dy));
  }
  return faces;
}

std::vector<DetectedFace> FacePipeline::analyze_once(const cv::Mat& rgb, float min_score, bool embed) const {
  const auto boxes = detector_->detect(rgb, min_score);
  const auto marks = landmarks_->locate(rgb, boxes);
  std::vector<DetectedFace> faces;
  std::vector<cv::Mat> chips;
  for (size_t i = 0; i < boxes.size(); ++i) {
    faces.push_back({boxes[i], marks[i], std::nullopt});
    if (embed) chips.push_back(identity_chip(rgb, marks[i]));
  }
  if (embed) {
    const auto embeddings = embedder_->embed(chips);
    for (size_t i = 0; i < faces.size(); ++i) faces[i].embedding = embeddings[i];
  }
  return faces;
}

const FacePipeline& SharedFacePipeline::get() {
  std::lock_guard lock(mutex_);
  if (!pipeline_) pipeline_ = std::make_unique<FacePipeline>(models_dir_);
  return *pipeline_;
}

const FaceDetector& FacePipeline::detector() const { return *detector_; }
const LandmarkModel& FacePipeline::landmarks() const { return *landmarks_; }
const FaceEmbedder& FacePipeline::embedder() const { return *embedder_; }

} // namespace curator::faces
