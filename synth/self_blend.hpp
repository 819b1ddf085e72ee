#pragma once
//! Self-Blended Images (Shiohara & Yamasaki, CVPR 2022): a face blended onto itself after one of the two
//! copies was changed in colour and sharpness and the source was moved a little, through a deformed,
//! blurred landmark-hull mask scaled by a blend ratio from the paper's list {0.25, 0.5, 0.75, 1, 1, 1}.
//! The parameters are drawn once (draw_self_blend) and then fully determine the output, so `curator synth`
//! uses one draw for a whole clip (no flicker) and the training loader one draw per sample.
//! Images are RGB (curator's frame order: channel 0 is red). The mask is built on a canvas where the face
//! (the landmarks' bounding box's longer side) is 256 px, so its shape, deformation and blur follow the
//! face: the same params on a moved or rescaled face give the same mask, moved or rescaled.
//! Pure functions of their inputs; thread-safe.
#include "ingest/faces/face_types.hpp"

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <cstdint>
#include <random>

namespace curator::synth {

/// Everything random about one self-blend, drawn by draw_self_blend(). Ranges are the published code's
/// (mapooon/SelfBlendedImages: sbi.py, funcs.py, blend.py).
struct SelfBlendParams {
  bool transform_source = true;  ///< the colour/sharpness change goes to the source (else the target); p 0.5
  double rgb_shift[3] = {0, 0, 0};   ///< added per channel (R, G, B), in 8-bit units (paper: +-20 with p 0.3, else 0)
  double hue = 0, saturation = 0, value = 0; ///< HSV shifts in albumentations' 8-bit units (hue: OpenCV's
                                             ///< 0-180 scale, wrapping; saturation, value: 0-255), paper +-0.3
  double brightness = 0, contrast = 0;       ///< out = in * (1 + contrast) + brightness * 255 (paper: +-0.1)
  bool downscale = true;         ///< down-and-up scaling (else sharpening); p 0.5
  double downscale_factor = 0.5; ///< the side is scaled by this (nearest) and back (linear); paper: 0.25 or 0.5
  double sharpen_alpha = 0.3;    ///< albumentations' Sharpen: paper 0.2-0.5
  double sharpen_lightness = 0.75; ///< albumentations' Sharpen: paper 0.5-1.0
  double scale = 1.0;            ///< source scale about the face centre (paper: 0.95-1/0.95)
  double shift_x = 0, shift_y = 0; ///< source translation, share of the face size (paper: x +-0.03, y +-0.015)
  int hull = 0;                  ///< which landmark hull: 0 whole face, 1 face without the forehead side,
                                 ///< 2 the inner face (brows, eyes, nose, mouth), 3 lower face
  double mask_resize = 1.0;      ///< the mask is resized by this (paper: 192/256-256/256) and back
  int blur1 = 5, blur2 = 5;      ///< odd Gaussian kernel sizes of the two mask blurs, at a 256 px face
  double blur2_sigma = 5;        ///< the second blur's sigma at a 256 px face (paper: 5-45; the kernel bounds it)
  double blend_ratio = 1.0;      ///< from {0.25, 0.5, 0.75, 1, 1, 1}
  uint64_t seed = 0;             ///< drives the elastic deformation of the mask
};

/// One draw of every field, all within the published ranges; consumes the same number of values from
/// `rng` whatever the outcome.
SelfBlendParams draw_self_blend(std::mt19937_64& rng);

/// The parameters as a JSON object (field names as in SelfBlendParams; rgb_shift an array), for manifests.
nlohmann::json to_json(const SelfBlendParams& params);

struct SelfBlendOutput {
  cv::Mat target; ///< the real half of the pair: the input, colour-changed when !transform_source
  cv::Mat image;  ///< the fake: 8-bit 3-channel, the input's size and channel order
  cv::Mat mask;   ///< CV_32F in [0, 1], the input's size: the weight of the source at each pixel
};

/// The self-blend of `image` (8-bit, 3 channels) whose face has landmarks `lm` (in `image`'s pixels).
/// Pixels where `mask` is 0 are exactly `target`'s (the paper trains on the pair target / image). A face whose landmarks lie outside the image gives
/// the input back with an all-zero mask. The mask is 0 farther than half the face size from the
/// landmarks' bounding box. Throws InvalidInput for an empty or non-8-bit-3-channel image and for params
/// outside their ranges (odd positive kernels, factors in (0, 1], hull 0-3, blend ratio in [0, 1]).
SelfBlendOutput self_blend(const cv::Mat& image, const faces::Landmarks68& lm, const SelfBlendParams& params);

} // namespace curator::synth
