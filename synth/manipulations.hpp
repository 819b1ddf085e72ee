#pragma once
//! The four pseudo-fake families of `curator synth`, one frame at a time. Each changes pixels only inside
//! face_region() of the target's landmarks and returns a new 8-bit 3-channel frame of the same size.
//! Deterministic for the same inputs and random engine state; thread-safe.
#include "synth/face_mask.hpp"

#include <opencv2/core.hpp>

#include <optional>
#include <string>

namespace curator::synth {

enum class Method { blend, self_blend, lowres, swap };
const char* method_name(Method method);
/// Throws InvalidInput for anything but blend, self-blend, lowres, swap.
Method parse_method(const std::string& text);
/// Whether the method pastes another person's face (and so needs donors).
bool needs_donor(Method method);

/// A face from another video, with its landmarks in `image`'s coordinates.
struct Donor {
  cv::Mat image; ///< 8-bit, 3 channels, same channel order as the frames
  faces::Landmarks68 landmarks;
  std::string source; ///< the file it came from
};

/// Face X-ray (Li et al. 2020): the donor aligned to the target's landmarks (a similarity transform),
/// its colours matched to the target face's (per-channel mean and spread in Lab), pasted through a
/// deformed, blurred hull mask.
cv::Mat blend_face(const cv::Mat& frame, const faces::Landmarks68& lm, const Donor& donor, Rng& rng);

/// Self-Blended Images (Shiohara & Yamasaki 2022): the same face, changed in colour, sharpness, scale
/// and position, blended back onto itself through such a mask.
cv::Mat self_blend_face(const cv::Mat& frame, const faces::Landmarks68& lm, Rng& rng);

/// An autoencoder's resolution mismatch: the face region through a `side` x `side` bottleneck, feathered
/// back in.
cv::Mat lowres_face(const cv::Mat& frame, const faces::Landmarks68& lm, Rng& rng, int side = 64);

/// A graphics face swap: the donor's face warped piecewise-affinely over Delaunay triangles of the 68
/// landmarks onto the target's, then Poisson-blended (cv::seamlessClone) into the hull.
cv::Mat swap_face(const cv::Mat& frame, const faces::Landmarks68& lm, const Donor& donor);

/// Normalised landmark shape distance (each shape centred and scaled to unit spread): how alike two
/// faces' poses and expressions are.
double shape_distance(const faces::Landmarks68& a, const faces::Landmarks68& b);

} // namespace curator::synth
