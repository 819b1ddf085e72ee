#pragma once
//! A face track's identity vector: what identity grouping compares. Each face's embedding is scaled to
//! unit length (face-api's descriptors verify better that way: docs/identity-grouping.md), faces are weighted by how much they can be trusted
//! (detector score, size), faces far from the track's first mean are dropped (a misdetection, a hand, a
//! second person the tracker let in), and the weighted mean is scaled to unit length again. Distances
//! between identity vectors lie in [0, 2]. Pure functions; thread-safe.
#include "ingest/faces/face_types.hpp"

#include <vector>

namespace curator::faces {

/// Unit-length copy; a zero vector stays zero.
Embedding unit_embedding(const Embedding& e);

/// How much a face counts in its track's identity: detector score times a size factor that reaches 1
/// at an 80 px shorter box side (small faces give noisy embeddings).
float face_weight(const FaceBox& box);

/// Faces further than this from the first weighted mean are left out of the identity (when at least
/// three faces remain).
constexpr float kOutlierDistance = 0.6f;

/// The identity vector of one track. `weights` has one entry per face (empty: all 1). Throws
/// std::invalid_argument when there are no faces or the sizes differ.
Embedding track_identity(const std::vector<Embedding>& faces, const std::vector<float>& weights = {});

} // namespace curator::faces
