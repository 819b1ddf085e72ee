#pragma once
//! Faces on a clip's sampled frames, with the detector run on the whole frame only on key frames. Between
//! them every face is followed, in one of two ways:
//!  - where the detector's windows around the faces are cheap (`window_context` times each face, see
//!    SsdDetector::detect_near; at most `max_window_cost` of a whole-frame pass: faces up to about half
//!    the frame's longer side), the detector runs in those windows of its own input
//!    (FaceDetector::detect_near), and gives the boxes it gives on the whole frame;
//!  - otherwise, with `follow_landmarks`, the landmark net looks in the last box, the key frame's box is
//!    moved by the similarity between the key frame's and the new rigid landmarks (brows, nose, eyes), and
//!    the landmarks are located once more in that box (faster, but the boxes drift from the detector's);
//!    without it such a frame is a key frame.
//! Then landmarks and embeddings as on a key frame (the embeddings of a run of followed frames in one
//! batch, checked in frame order afterwards). A frame goes back to the whole-frame detector when any
//! check fails: it is a key frame (every `detect_every` sampled frames, and the first), the picture changed
//! (a scene cut: frame hashes more than `scene_cut_bits` apart), a face was not found in its window, moved
//! too far (IoU of its new and old box below `min_follow_iou`) or is no longer the same face (embedding
//! distance above `max_identity_distance` from the key frame's). Faces that appear between key frames
//! are found on the next key frame. detect_every 1 is the full per-frame path. Not thread-safe (one
//! follower per clip); the pipeline it uses is.
#include "ingest/faces/face_pipeline.hpp"

#include <cstdint>
#include <functional>
#include <vector>

namespace curator::ingest {

struct FollowSettings {
  int detect_every = 1;
  float min_score = 0.5f;
  int scene_cut_bits = 16;
  float min_follow_iou = 0.5f;
  float max_identity_distance = 0.45f;
  float window_context = 2.0f;   ///< the detector's window around a followed face, over the face's longer side
  double max_window_cost = 0.6; ///< windows costing more than this share of a whole-frame pass: not followed by windows
  bool follow_landmarks = false; ///< follow faces whose windows cost too much by landmarks (else: detect)
};

class FaceFollower {
public:
  FaceFollower(const faces::FacePipeline& pipeline, FollowSettings settings);

  /// Frame i of a clip (RGB) and its difference hash; rgb is null past the clip's end.
  struct ClipFrame {
    const cv::Mat* rgb = nullptr;
    uint64_t hash = 0;
  };
  /// Gives frame i, waiting for it to be decoded if need be; asked in increasing order, each i at most
  /// a few times. What it returns must stay valid until follow_clip returns.
  using ClipFrames = std::function<ClipFrame(size_t)>;

  /// The faces of a clip's sampled frames (in order), with landmarks and embeddings, per frame as
  /// FacePipeline::analyze(rgb, min_score, true) gives them. The embeddings of the faces followed between
  /// two key frames are computed in one batch, then checked in frame order. `done(n)`, when given, is
  /// called each time the first n frames are final; it may throw to stop.
  std::vector<std::vector<faces::DetectedFace>> follow_clip(const ClipFrames& frames,
                                                            const std::function<void(size_t)>& done = {});
  /// The same for frames already in memory. Throws std::invalid_argument when the two sizes differ.
  std::vector<std::vector<faces::DetectedFace>> follow_clip(const std::vector<cv::Mat>& frames,
                                                            const std::vector<uint64_t>& hashes,
                                                            const std::function<void(size_t)>& done = {});

  struct Counts {
    int detected = 0;   ///< frames that ran the detector (key frames and fall-backs)
    int followed = 0;   ///< frames whose faces were followed
    int fell_back = 0;  ///< follow attempts that failed a check and ran the detector
    double detect_seconds = 0, follow_seconds = 0; ///< wall time in each (a failed follow counts as following)
  };
  Counts counts() const { return counts_; }

private:
  struct Run {
    size_t end = 0;      ///< frames before this are final
    bool failed = false; ///< a check failed on frame `end` (else: the clip ended or `end` is a key frame)
  };
  bool is_key(const cv::Mat& rgb, uint64_t frame_hash) const;
  std::vector<faces::DetectedFace> detect(const cv::Mat& rgb, uint64_t frame_hash);
  /// Follows faces from the non-key frame `first` until the next key frame or a failed check.
  Run follow_run(const ClipFrames& frames, size_t first, std::vector<std::vector<faces::DetectedFace>>& out);
  /// The last faces in `rgb`, without embeddings; their identity chips appended to `chips`.
  bool follow(const cv::Mat& rgb, std::vector<faces::DetectedFace>& out, std::vector<cv::Mat>& chips) const;
  bool follow_landmarks(const cv::Mat& rgb, std::vector<faces::FaceBox>& boxes) const;
  bool follow_windows(const cv::Mat& rgb, std::vector<faces::FaceBox>& boxes) const;
  bool windows_pay(const cv::Size& frame) const; ///< the last faces' windows cost at most max_window_cost

  const faces::FacePipeline& pipeline_;
  FollowSettings settings_;
  std::vector<faces::DetectedFace> key_;  ///< the faces of the last key frame
  std::vector<faces::DetectedFace> last_; ///< the same faces on the last frame
  uint64_t last_hash_ = 0;
  int since_detect_ = 0;
  bool started_ = false;
  Counts counts_;
};

} // namespace curator::ingest
