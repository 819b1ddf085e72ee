#include "ingest/face_follower.hpp"

#include "ingest/faces/chips.hpp"

#include <opencv2/calib3d.hpp>

#include <algorithm>
#include <functional>
#include <stdexcept>
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

std::vector<faces::DetectedFace> FaceFollower::detect(const cv::Mat& rgb, uint64_t frame_hash) {
  ++counts_.detected;
  since_detect_ = 0;
  started_ = true;
  last_hash_ = frame_hash;
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

bool FaceFollower::follow(const cv::Mat& rgb, std::vector<faces::DetectedFace>& out, std::vector<cv::Mat>& chips) const {
  std::vector<faces::FaceBox> boxes;
  for (const auto& f : last_) boxes.push_back(f.box);
  if (!(windows_pay(rgb.size()) ? follow_windows(rgb, boxes) : follow_landmarks(rgb, boxes))) return false;
  const auto marks = pipeline_.landmarks().locate(rgb, boxes);
  out.clear();
  for (size_t i = 0; i < last_.size(); ++i) {
    if (boxes[i].iou(last_[i].box) < settings_.min_follow_iou) return false;
    out.push_back({boxes[i], marks[i], std::nullopt});
  }
  for (const auto& m : marks) chips.push_back(faces::identity_chip(rgb, m));
  return true;
}

FaceFollower::Run FaceFollower::follow_run(const ClipFrames& frames, size_t first,
                                           std::vector<std::vector<faces::DetectedFace>>& out) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<cv::Mat> chips; // of every followed face, in frame order
  size_t end = first;
  bool failed = false;
  for (ClipFrame frame; (frame = frames(end)).rgb; ++end) {
    if (end > first && is_key(*frame.rgb, frame.hash)) break;
    std::vector<faces::DetectedFace> followed;
    if (out.size() <= end) out.resize(end + 1);
    if (!follow(*frame.rgb, followed, chips)) {
      failed = true;
      break;
    }
    out[end] = std::move(followed);
    last_ = out[end];
    ++since_detect_;
    last_hash_ = frame.hash;
  }
  // Compared with the key frame's embeddings: drift cannot creep in step by step. The first frame with a
  // face that is no longer its key frame's person ends the run; frames followed after it are dropped.
  const auto embeddings = pipeline_.embedder().embed(chips);
  size_t k = 0, good = first;
  for (; good < end; ++good) {
    bool same = true;
    for (size_t i = 0; i < out[good].size(); ++i, ++k) {
      same = same && faces::embedding_distance(embeddings[k], *key_[i].embedding) <= settings_.max_identity_distance;
      out[good][i].embedding = embeddings[k];
    }
    if (!same) {
      failed = true;
      break;
    }
  }
  for (size_t f = good; f < end; ++f) out[f].clear();
  counts_.followed += static_cast<int>(good - first);
  counts_.follow_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {good, failed};
}

bool FaceFollower::windows_pay(const cv::Size& frame) const {
  std::vector<faces::FaceBox> boxes;
  for (const auto& f : last_) boxes.push_back(f.box);
  return pipeline_.detector().near_cost(frame, boxes, settings_.window_context) <= settings_.max_window_cost;
}

bool FaceFollower::is_key(const cv::Mat& rgb, uint64_t frame_hash) const {
  const bool scene_cut = started_ && __builtin_popcountll(frame_hash ^ last_hash_) > settings_.scene_cut_bits;
  return !started_ || settings_.detect_every <= 1 || since_detect_ + 1 >= settings_.detect_every || last_.empty() ||
         scene_cut || !(settings_.follow_landmarks || windows_pay(rgb.size()));
}

std::vector<std::vector<faces::DetectedFace>> FaceFollower::follow_clip(const ClipFrames& frames,
                                                                        const std::function<void(size_t)>& done) {
  std::vector<std::vector<faces::DetectedFace>> out;
  size_t f = 0;
  for (ClipFrame frame; (frame = frames(f)).rgb;) {
    if (!is_key(*frame.rgb, frame.hash)) {
      const auto run = follow_run(frames, f, out);
      if (done && run.end > f) done(run.end);
      f = run.end;
      if (!run.failed) continue; // at the end, or at the next key frame
      ++counts_.fell_back;       // a check failed on frame f: it goes to the detector
      frame = frames(f);
    }
    if (out.size() <= f) out.resize(f + 1);
    out[f] = detect(*frame.rgb, frame.hash);
    ++f;
    if (done) done(f);
  }
  return out;
}

std::vector<std::vector<faces::DetectedFace>> FaceFollower::follow_clip(const std::vector<cv::Mat>& frames,
                                                                        const std::vector<uint64_t>& hashes,
                                                                        const std::function<void(size_t)>& done) {
  if (frames.size() != hashes.size()) throw std::invalid_argument("follow_clip: one hash per frame");
  return follow_clip([&](size_t i) { return i < frames.size() ? ClipFrame{&frames[i], hashes[i]} : ClipFrame{}; }, done);
}

} // namespace curator::ingest
