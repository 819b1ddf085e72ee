#pragma once
//! Blending masks over a face, as the published pseudo-fake methods draw them (Face X-ray, Self-Blended
//! Images): the convex hull of the 68 landmarks, randomly deformed and blurred. Masks are CV_32F in
//! [0, 1], the frame's size, and zero outside the face's region (`face_region`). Pure functions of their
//! inputs and the random engine; thread-safe.
#include "ingest/faces/face_types.hpp"

#include <opencv2/core.hpp>

#include <random>

namespace curator::synth {

using Rng = std::mt19937_64;

/// The landmarks' bounding box grown by `margin` of its size on each side, clipped to the frame: no
/// manipulation changes a pixel outside it.
cv::Rect face_region(cv::Size frame, const faces::Landmarks68& lm, double margin = 0.25);

/// The filled convex hull of the landmarks, 1 inside.
cv::Mat hull_mask(cv::Size frame, const faces::Landmarks68& lm);

/// The hull, shrunk or grown a little, bent by a smooth random displacement (a few percent of the face)
/// and feathered with a random blur; scaled by a random blend ratio in [min_ratio, 1].
cv::Mat random_blend_mask(cv::Size frame, const faces::Landmarks68& lm, Rng& rng, double min_ratio = 0.5);

/// A soft version of the hull (feathered by `feather` of the face size), for pasting whole regions.
cv::Mat feathered_hull(cv::Size frame, const faces::Landmarks68& lm, double feather = 0.08);

/// out = mask * top + (1 - mask) * bottom, per pixel, 8-bit 3-channel frames.
cv::Mat blend(const cv::Mat& top, const cv::Mat& bottom, const cv::Mat& mask);

} // namespace curator::synth
