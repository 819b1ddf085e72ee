#pragma once
//! Self-Blended Images (Shiohara & Yamasaki, CVPR 2022): a face blended onto itself after one of the two
//! copies was changed in colour and sharpness and the source was moved a little, through a deformed,
//! blurred landmark-hull mask scaled by a blend ratio from the paper's list {0.25, 0.5, 0.75, 1, 1, 1}.
//! The parameters are drawn once (draw_self_blend) and then fully determine the output, so `curator synth`
//! uses one draw for a whole clip (no flicker) and the training loader one draw per sample.
//! Pure functions of their inputs; thread-safe.
#include "ingest/faces/face_types.hpp"

#include <opencv2/core.hpp>

#include <cstdint>
#include <random>

namespace curator::synth {

/// Everything random about one self-blend, drawn by draw_self_blend().
struct SelfBlendParams {
  bool transform_source = true;  ///< the colour/sharpness change goes to the source (else the target)
  double rgb_shift[3] = {0, 0, 0};   ///< added per channel (R, G, B), in 8-bit units (paper: +-20)
  double hue = 0, saturation = 0, value = 0; ///< HSV shifts (paper: +-0.3 of albumentations' defaults)
  double brightness = 0, contrast = 0;       ///< brightness shift and contrast factor - 1 (paper: +-0.1)
  bool downscale = true;         ///< down-and-up scaling (else sharpening)
  double downscale_factor = 0.5; ///< paper: 0.25-0.5 of the side
  double sharpen_alpha = 0.3;    ///< paper: 0.2-0.5
  double scale = 1.0;            ///< source scale about the face centre (paper: 0.95-1.05)
  double shift_x = 0, shift_y = 0; ///< source translation, share of the face size (paper: +-0.03)
  int hull = 0;                  ///< which landmark hull: 0 whole face, 1 face without the forehead side,
                                 ///< 2 the inner face (brows, eyes, nose, mouth), 3 lower face
  double mask_resize = 1.0;      ///< the mask is resized by this (paper: 192/256-256/256) and back
  int blur1 = 5, blur2 = 5;      ///< odd Gaussian kernel sizes of the two mask blurs, at a 256 px face
  double blend_ratio = 1.0;      ///< from {0.25, 0.5, 0.75, 1, 1, 1}
  uint64_t seed = 0;             ///< drives the elastic deformation of the mask
};

SelfBlendParams draw_self_blend(std::mt19937_64& rng);

struct SelfBlendOutput {
  cv::Mat target; ///< the real half of the pair: the input, colour-changed when !transform_source
  cv::Mat image;  ///< the fake: 8-bit 3-channel, the input's size and channel order
  cv::Mat mask;   ///< CV_32F in [0, 1], the input's size: the weight of the source at each pixel
};

/// The self-blend of `image` (8-bit, 3 channels) whose face has landmarks `lm` (in `image`'s pixels).
/// Pixels where `mask` is 0 are exactly `target`'s (the paper trains on the pair target / image). A face whose landmarks lie outside the image gives
/// the input back with an all-zero mask.
SelfBlendOutput self_blend(const cv::Mat& image, const faces::Landmarks68& lm, const SelfBlendParams& params);

} // namespace curator::synth
