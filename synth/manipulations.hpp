#pragma once
//! The four pseudo-fake families of `curator synth`, one frame at a time. Each returns a new 8-bit
//! 3-channel frame of the same size; all but self-blend change pixels only inside face_region() of the
//! target's landmarks (self-blend's colour change may fall on the whole frame, as published). Their
//! randomness is drawn once per clip (ClipParams), so every frame of a clip is changed alike.
//! Pure functions of their inputs; thread-safe.
#include "synth/face_mask.hpp"
#include "synth/self_blend.hpp"

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
/// its colours matched to the target face's (per-channel mean and spread in Lab), pasted through the
/// deformed, blurred hull mask (`mask`) at full weight, as published.
cv::Mat blend_face(const cv::Mat& frame, const faces::Landmarks68& lm, const Donor& donor, const MaskParams& mask);

/// The random part of lowres_face.
struct LowresParams {
  int side = 64;       ///< the bottleneck's side
  double sigma = 0.5;  ///< the decoder's smoothing at the bottleneck: 0.3-0.8
};
/// One draw: the side stays 64, the smoothing is drawn.
LowresParams draw_lowres(Rng& rng);

/// An autoencoder's resolution mismatch: the face region through a `side` x `side` bottleneck, feathered
/// back in.
cv::Mat lowres_face(const cv::Mat& frame, const faces::Landmarks68& lm, const LowresParams& params);

/// A graphics face swap: the donor's face warped piecewise-affinely over Delaunay triangles of the 68
/// landmarks onto the target's, then Poisson-blended (cv::seamlessClone) into the hull.
cv::Mat swap_face(const cv::Mat& frame, const faces::Landmarks68& lm, const Donor& donor);

/// Everything random about one clip's manipulation; only the method's own member is used.
struct ClipParams {
  Method method = Method::self_blend;
  MaskParams mask;            ///< blend
  SelfBlendParams self_blend; ///< self-blend (self_blend.hpp)
  LowresParams lowres;        ///< lowres
};

/// One draw for `method` (swap draws nothing).
ClipParams draw_clip(Method method, Rng& rng);
/// The method's own parameters as a JSON object (empty for swap), for the manifest.
nlohmann::json to_json(const ClipParams& params);

/// One frame manipulated by `params.method` with the clip's parameters. Blend and swap need `donor`
/// (InvalidInput without one).
cv::Mat manipulate(const cv::Mat& frame, const faces::Landmarks68& lm, const ClipParams& params, const Donor* donor);

/// Normalised landmark shape distance (each shape centred and scaled to unit spread): how alike two
/// faces' poses and expressions are.
double shape_distance(const faces::Landmarks68& a, const faces::Landmarks68& b);

} // namespace curator::synth
