#pragma once
//! Blending masks over a face, as Face X-ray draws them: the convex hull of the 68 landmarks, randomly
//! deformed and blurred. The randomness is drawn once (MaskParams) and expressed relative to the face,
//! so one draw gives every frame of a clip the same mask, moving and scaling with the face. Masks are
//! CV_32F in [0, 1], the frame's size, and zero outside the face's region (`face_region`). Pure
//! functions of their inputs; thread-safe.
#include "ingest/faces/face_types.hpp"

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <cstdint>
#include <random>

namespace curator::synth {

using Rng = std::mt19937_64;

/// The landmarks' bounding box grown by `margin` of its size on each side, clipped to the frame: no
/// manipulation changes a pixel outside it.
cv::Rect face_region(cv::Size frame, const faces::Landmarks68& lm, double margin = 0.25);

/// The filled convex hull of the landmarks, 1 inside.
cv::Mat hull_mask(cv::Size frame, const faces::Landmarks68& lm);

/// Everything random about one deformed mask; sizes are shares of the face size (the landmarks' box's
/// longer side).
struct MaskParams {
  bool grow = false;       ///< dilate the hull (else erode it)
  double morph = 0.05;     ///< the erosion or dilation kernel: 0.02-0.08
  double amplitude = 0.02; ///< the bend's largest displacement: 0-0.04
  double blur = 0.1;       ///< the feathering blur's kernel: 0.03-0.15
  uint64_t field_seed = 0; ///< drives the bend's displacement field
};

/// One draw within the ranges above.
MaskParams draw_mask(Rng& rng);
/// The parameters as a JSON object (field names as in MaskParams), for manifests.
nlohmann::json to_json(const MaskParams& params);

/// The hull, shrunk or grown, bent by a smooth displacement field defined over the face region (so it
/// follows the face) and feathered by a Gaussian blur, as `params` say.
cv::Mat deformed_mask(cv::Size frame, const faces::Landmarks68& lm, const MaskParams& params);

/// A soft version of the hull (feathered by `feather` of the face size), for pasting whole regions.
cv::Mat feathered_hull(cv::Size frame, const faces::Landmarks68& lm, double feather = 0.08);

/// out = mask * top + (1 - mask) * bottom, per pixel, 8-bit 3-channel frames.
cv::Mat blend(const cv::Mat& top, const cv::Mat& bottom, const cv::Mat& mask);

} // namespace curator::synth
