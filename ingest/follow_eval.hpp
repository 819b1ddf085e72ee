#pragma once
//! The fast face path (FaceFollower with key frames) measured against the full per-frame path on the same
//! sampled frames of a clip: how many of the full path's faces the fast path finds with a box within IoU
//! 0.8, as the same person, how many faces it invents, and what each path costs. Used by the `quality`
//! tests (a few clips) and bench/follow_bench (many). Not thread-safe: one tally per caller.
#include "ingest/face_follower.hpp"

#include <array>
#include <filesystem>
#include <string>
#include <vector>

namespace curator::ingest {

struct FollowTally {
  int full_faces = 0, matched = 0, crop_matched = 0, same_person = 0, fast_faces = 0, unmatched_fast = 0;
  std::array<int, 10> iou_deciles{}; ///< best IoU of each full-path face, by tenths
  int frames = 0, detected = 0;
  double full_seconds = 0, fast_seconds = 0; ///< face work only

  /// n over the full path's faces; 0 when the full path found none.
  double share(int n) const { return full_faces > 0 ? static_cast<double>(n) / full_faces : 0.0; }
  std::string report() const;
};

/// The fast path measured: the detector on every 8th sampled frame, faces followed between (by landmarks
/// where windows cost too much, with `follow_landmarks`).
FollowSettings fast_follow_settings(bool follow_landmarks);

/// Samples `frames` frames of `clip` as ingest does, runs the full path once and each of `fast` on them,
/// and adds the comparison with fast[k] to *tallies[k]. Throws std::invalid_argument when the two lists
/// differ in size, and what probing or decoding throws.
void compare_follow(const faces::FacePipeline& pipeline, const std::filesystem::path& clip, int frames,
                    const std::vector<FollowSettings>& fast, const std::vector<FollowTally*>& tallies);

/// The real clips of a shared data folder the comparison uses (talking heads of video/more, lipnet,
/// retalking, sadtalker, eyecantell and the edge cases), sorted by path.
std::vector<std::filesystem::path> follow_eval_clips(const std::filesystem::path& data);

} // namespace curator::ingest
