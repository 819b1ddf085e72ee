#pragma once
//! Training-time image augmentations (OpenCV), after the seed study's list: horizontal flip, rotation
//! +-40 deg with scale 0.9-1.1, perspective distortion 0.2, brightness / contrast / saturation jitter 0.5,
//! random erasing of 2-16% of the area, JPEG re-compression at quality 60-100 and Gaussian blur. Evaluation
//! images are only resized and normalised (to_chw). Labels never change; sizes never change.
//! Deterministic: the same generator state gives the same image. Thread-safe (no shared state).
#include <opencv2/core.hpp>

#include <random>
#include <string>

namespace curator::retrain {

struct AugmentOptions {
  double flip_p = 0.5;
  double rotate_deg = 40, scale_min = 0.9, scale_max = 1.1;
  double perspective_p = 0.5, perspective = 0.2; ///< corners move up to this share of the half side
  double jitter = 0.5;                            ///< brightness, contrast, saturation factors in 1 +- jitter
  double erase_p = 0.5, erase_min = 0.02, erase_max = 0.16;
  double jpeg_p = 0.5;
  int jpeg_min = 60, jpeg_max = 100;
  double blur_p = 0.3, blur_sigma_max = 2.0;
};

/// An augmented copy of an 8-bit RGB image, the same size.
cv::Mat augment(const cv::Mat& rgb, const AugmentOptions& options, std::mt19937& rng);

/// The mild set (DeepfakeBench-style, for pretrained backbones on small data: blending boundaries are a few
/// pixels wide and strong transforms erase them): flip, +-10 deg, scale 0.95-1.05, colour 0.1, blur p 0.1,
/// JPEG 70-100 p 0.3, no perspective, no erasing.
AugmentOptions mild_augment();
/// "strong" (the defaults above) or "mild". Throws InvalidInput otherwise.
AugmentOptions augment_preset(const std::string& name);

/// How pixels become model inputs: (x / 255 - mean) / std per channel. ImageNet's constants for
/// torchvision's ResNet18; 0.5 / 0.5 (inputs in [-1, 1]) for Xception, whose ImageNet weights expect it;
/// face-api's channel means and std 1 for the faceapi backbone.
enum class InputNorm { imagenet, half, faceapi };
const char* input_norm_name(InputNorm norm);
/// Throws InvalidInput for anything but "imagenet", "half" or "faceapi".
InputNorm parse_input_norm(const std::string& text);
/// The normalisation a backbone's ImageNet weights were trained with.
InputNorm input_norm_for(const std::string& backbone);

/// Resizes to size x size and writes normalised floats, channels first (3 * size * size). With `detail`
/// > 0 (and < size), the image is first reduced to detail x detail and enlarged back: the model sees no
/// finer detail than that, whatever resolution the video had.
void to_chw(const cv::Mat& rgb, int size, float* out, InputNorm norm = InputNorm::imagenet, int detail = 0);

} // namespace curator::retrain
