#include "ingest/face_follower.hpp"

#include "ingest/faces/chips.hpp"

#include <opencv2/calib3d.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <chrono>

namespace curator::ingest {

namespace {

// Brows, nose and eyes: the points that move with the head, not with the jaw (a talking mouth would move a
// box fitted to all 68).
std::vector<cv::Point2f> rigid_points(const faces::Landmarks68& marks) {
  return {marks.begin() + 17, marks.begin() + 48};
}

// The key frame's detector box moved as the head moved from the key frame's landmarks to `marks`: the
// least-squares similarity between the rigid points (rotation ignored: boxes are upright).
std::optional<faces::FaceBox> moved_box(const faces::DetectedFace& key, const faces::Landmarks68& marks) {
  const cv::Mat m = cv::estimateAffinePartial2D(rigid_points(key.landmarks), rigid_points(marks), cv::noArray(),
                                                cv::LMEDS);
  if (m.empty()) return std::nullopt;
  const double a = m.at<double>(0, 0), b = m.at<double>(1, 0), scale = std::sqrt(a * a + b * b);
  const double cx = key.box.x + key.box.width / 2.0, cy = key.box.y + key.box.height / 2.0;
  const double nx = a * cx - b * cy + m.at<double>(0, 2), ny = b * cx + a * cy + m.at<double>(1, 2);
  faces::FaceBox box = key.box;
  box.width = static_cast<float>(key.box.width * scale), box.height = static_cast<float>(key.box.height * scale);
  box.x = static_cast<float>(nx - box.width / 2), box.y = static_cast<float>(ny - box.height / 2);
  return box;
}

} // namespace

FaceFollower::FaceFollower(const faces::FacePipeline& pipeline, FollowSettings settings)
    : pipeline_(pipeline), settings_(settings) {}

std::vector<faces::DetectedFace> FaceFollower::detect(const cv::Mat& rgb) {
  ++counts_.detected;
  since_detect_ = 0;
  const auto t0 = std::chrono::steady_clock::now();
  auto found = pipeline_.analyze(rgb, settings_.min_score, true);
  counts_.detect_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  last_ = found;
  key_ = found;
  return found;
}

bool FaceFollower::follow_landmarks(const cv::Mat& rgb, std::vector<faces::FaceBox>& boxes) const {
  for (int pass = 0; pass < 2; ++pass) {
    const auto marks = pipeline_.landmarks().locate(rgb, boxes);
    for (size_t i = 0; i < last_.size(); ++i) {
      const auto box = moved_box(key_[i], marks[i]);
      if (!box) return false;
      boxes[i] = *box;
    }
  }
  return true;
}

bool FaceFollower::follow_windows(const cv::Mat& rgb, std::vector<faces::FaceBox>& boxes) const {
  const auto found = pipeline_.detector().detect_near(rgb, boxes, settings_.window_context, settings_.min_score);
  for (size_t i = 0; i < boxes.size(); ++i) {
    const faces::FaceBox* best = nullptr;
    for (const auto& f : found[i])
      if (!best || f.iou(boxes[i]) > best->iou(boxes[i])) best = &f;
    if (!best) return false;
    boxes[i] = *best;
  }
  return true;
}

bool FaceFollower::follow(const cv::Mat& rgb, std::vector<faces::DetectedFace>& out) const {
  std::vector<faces::FaceBox> boxes;
  for (const auto& f : last_) boxes.push_back(f.box);
  if (!(windows_pay(rgb.size()) ? follow_windows(rgb, boxes) : follow_landmarks(rgb, boxes))) return false;
  const auto marks = pipeline_.landmarks().locate(rgb, boxes);
  std::vector<cv::Mat> chips;
  out.clear();
  for (size_t i = 0; i < last_.size(); ++i) {
    if (boxes[i].iou(last_[i].box) < settings_.min_follow_iou) return false;
    out.push_back({boxes[i], marks[i], std::nullopt});
    chips.push_back(faces::identity_chip(rgb, marks[i]));
  }
  const auto embeddings = pipeline_.embedder().embed(chips);
  for (size_t i = 0; i < out.size(); ++i) {
    // Compared with the key frame's embedding: drift cannot creep in step by step.
    if (faces::embedding_distance(embeddings[i], *key_[i].embedding) > settings_.max_identity_distance) return false;
    out[i].embedding = embeddings[i];
  }
  return true;
}

bool FaceFollower::windows_pay(const cv::Size& frame) const {
  std::vector<faces::FaceBox> boxes;
  for (const auto& f : last_) boxes.push_back(f.box);
  return pipeline_.detector().near_cost(frame, boxes, settings_.window_context) <= settings_.max_window_cost;
}

std::vector<faces::DetectedFace> FaceFollower::next(const cv::Mat& rgb, uint64_t frame_hash) {
  const bool scene_cut = started_ && __builtin_popcountll(frame_hash ^ last_hash_) > settings_.scene_cut_bits;
  const bool key = !started_ || settings_.detect_every <= 1 || since_detect_ + 1 >= settings_.detect_every ||
                   last_.empty() || scene_cut || !(settings_.follow_landmarks || windows_pay(rgb.size()));
  started_ = true;
  last_hash_ = frame_hash;
  if (key) return detect(rgb);
  std::vector<faces::DetectedFace> followed;
  const auto t0 = std::chrono::steady_clock::now();
  const bool ok = follow(rgb, followed);
  counts_.follow_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!ok) {
    ++counts_.fell_back;
    return detect(rgb);
  }
  ++counts_.followed;
  ++since_detect_;
  last_ = followed;
  return followed;
}

} // namespace curator::ingest
