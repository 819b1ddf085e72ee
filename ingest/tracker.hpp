#pragma once
//! Links faces across sampled frames into tracks, one per person: a face joins the track whose last box
//! it overlaps (IoU) or whose mean embedding it is close to; afterwards tracks of the same person (a cut,
//! a face that left and came back) are merged. Deterministic; pure function; thread-safe.
#include "ingest/faces/face_pipeline.hpp"

#include <vector>

namespace curator::ingest {

struct TrackerOptions {
  float min_iou = 0.3f;              ///< faces.track_iou
  float same_person_distance = 0.6f; ///< faces.same_person_distance
};

/// `frames[f][k]` is the k-th face of the f-th sampled frame (each with an embedding). Returns the
/// track of every face in the same shape; tracks are numbered 0.. in order of first appearance.
std::vector<std::vector<int>> assign_tracks(const std::vector<std::vector<faces::DetectedFace>>& frames,
                                            const TrackerOptions& options);

} // namespace curator::ingest
