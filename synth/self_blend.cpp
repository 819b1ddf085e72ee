#include "synth/self_blend.hpp"

#include "core/error.hpp"
#include "synth/face_mask.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

namespace curator::synth {

namespace {

constexpr double kBlendRatios[] = {0.25, 0.5, 0.75, 1.0, 1.0, 1.0};
constexpr int kCanvas = 512;     // the mask's canvas: twice the face's size, centred on it
constexpr double kFace = 256.0;  // the face's size on the canvas
constexpr double kElasticAlpha = 50, kElasticSigma = 7; // albumentations' ElasticTransform in the paper

double uniform(std::mt19937_64& rng, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }
int integer(std::mt19937_64& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
bool chance(std::mt19937_64& rng, double p) { return uniform(rng, 0.0, 1.0) < p; }

bool odd_positive(int k) { return k > 0 && k % 2 == 1; }

void check(const cv::Mat& image, const SelfBlendParams& p) {
  if (image.empty() || image.type() != CV_8UC3) throw InvalidInput("self_blend needs an 8-bit 3-channel image");
  const auto bad = [](const std::string& what) { throw InvalidInput("self-blend parameter out of range: " + what); };
  if (!odd_positive(p.blur1) || !odd_positive(p.blur2)) bad("blur1 and blur2 must be odd and positive");
  if (!(p.mask_resize > 0 && p.mask_resize <= 1)) bad("mask_resize must be in (0, 1]");
  if (!(p.downscale_factor > 0 && p.downscale_factor <= 1)) bad("downscale_factor must be in (0, 1]");
  if (p.hull < 0 || p.hull > 3) bad("hull must be 0-3");
  if (!(p.blend_ratio >= 0 && p.blend_ratio <= 1)) bad("blend_ratio must be in [0, 1]");
  if (!(p.scale > 0) || !(p.blur2_sigma > 0)) bad("scale and blur2_sigma must be positive");
}

// A 256-entry lookup table per channel applied to an 8-bit 3-channel image.
cv::Mat apply_lut(const cv::Mat& image, const std::function<double(int channel, int value)>& f) {
  cv::Mat table(1, 256, CV_8UC3);
  for (int v = 0; v < 256; ++v)
    for (int c = 0; c < 3; ++c) table.at<cv::Vec3b>(0, v)[c] = cv::saturate_cast<uchar>(f(c, v));
  cv::Mat out;
  cv::LUT(image, table, out);
  return out;
}

// RGBShift, HueSaturationValue, RandomBrightnessContrast, in the paper's order.
cv::Mat change_colour(const cv::Mat& rgb, const SelfBlendParams& p) {
  cv::Mat out = apply_lut(rgb, [&](int c, int v) { return v + p.rgb_shift[c]; });
  cv::Mat hsv;
  cv::cvtColor(out, hsv, cv::COLOR_RGB2HSV);
  hsv = apply_lut(hsv, [&](int c, int v) {
    if (c == 0) return std::fmod(std::fmod(v + std::round(p.hue), 180.0) + 180.0, 180.0);
    return v + (c == 1 ? p.saturation : p.value);
  });
  cv::cvtColor(hsv, out, cv::COLOR_HSV2RGB);
  return apply_lut(out, [&](int, int v) { return v * (1.0 + p.contrast) + p.brightness * 255.0; });
}

// The paper's RandomDownScale (nearest down, linear up) or albumentations' Sharpen.
cv::Mat change_sharpness(const cv::Mat& rgb, const SelfBlendParams& p) {
  cv::Mat out;
  if (p.downscale) {
    const cv::Size small(std::max(1, static_cast<int>(rgb.cols * p.downscale_factor)),
                         std::max(1, static_cast<int>(rgb.rows * p.downscale_factor)));
    cv::Mat down;
    cv::resize(rgb, down, small, 0, 0, cv::INTER_NEAREST);
    cv::resize(down, out, rgb.size(), 0, 0, cv::INTER_LINEAR);
    return out;
  }
  const double a = p.sharpen_alpha;
  cv::Mat kernel = (cv::Mat_<float>(3, 3) << -1, -1, -1, -1, 8 + p.sharpen_lightness, -1, -1, -1, -1);
  kernel *= a;
  kernel.at<float>(1, 1) += static_cast<float>(1 - a);
  cv::filter2D(rgb, out, -1, kernel, {-1, -1}, 0, cv::BORDER_REFLECT_101);
  return out;
}

// Landmark indices of each hull type (see SelfBlendParams::hull).
std::vector<int> hull_points(int hull) {
  std::vector<int> out;
  const auto add = [&](int from, int to) {
    for (int i = from; i <= to; ++i) out.push_back(i);
  };
  switch (hull) {
  case 0: add(0, 67); break;                               // whole face
  case 1: add(0, 16), add(27, 67); break;                  // without the brows (the forehead side)
  case 2: add(17, 67); break;                              // brows, eyes, nose, mouth
  default: add(1, 15), add(28, 35), add(48, 67); break;    // below the eyes
  }
  return out;
}

struct Face {
  cv::Point2d centre;
  double size = 0; // the landmarks' bounding box's longer side
};

Face face_of(const faces::Landmarks68& lm) {
  const cv::Rect2f box = cv::boundingRect(std::vector<cv::Point2f>(lm.begin(), lm.end()));
  return {{box.x + box.width / 2.0, box.y + box.height / 2.0}, std::max(box.width, box.height)};
}

// Scale about the face centre, then the shift (both in the pixels of an image where the face is `size`).
cv::Mat source_motion(cv::Point2d centre, double size, const SelfBlendParams& p) {
  return (cv::Mat_<double>(2, 3) << p.scale, 0, (1 - p.scale) * centre.x + p.shift_x * size, 0, p.scale,
          (1 - p.scale) * centre.y + p.shift_y * size);
}

// Moves each pixel by a smooth random field: uniform noise blurred by sigma, times alpha (ElasticTransform).
cv::Mat elastic(const cv::Mat& mask, uint64_t seed) {
  cv::RNG rng(seed);
  cv::Mat dx(mask.size(), CV_32F), dy(mask.size(), CV_32F);
  rng.fill(dx, cv::RNG::UNIFORM, -1.0, 1.0), rng.fill(dy, cv::RNG::UNIFORM, -1.0, 1.0);
  cv::GaussianBlur(dx, dx, {0, 0}, kElasticSigma), cv::GaussianBlur(dy, dy, {0, 0}, kElasticSigma);
  cv::Mat map_x(mask.size(), CV_32F), map_y(mask.size(), CV_32F);
  for (int y = 0; y < mask.rows; ++y)
    for (int x = 0; x < mask.cols; ++x) {
      map_x.at<float>(y, x) = static_cast<float>(x + kElasticAlpha * dx.at<float>(y, x));
      map_y.at<float>(y, x) = static_cast<float>(y + kElasticAlpha * dy.at<float>(y, x));
    }
  cv::Mat out;
  cv::remap(mask, out, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  return out;
}

cv::Mat normalised(const cv::Mat& m) {
  double lo, hi;
  cv::minMaxLoc(m, &lo, &hi);
  return hi > 0 ? cv::Mat(m / hi) : cv::Mat(cv::Mat::zeros(m.size(), CV_32F));
}

// The paper's get_blend_mask: resized down, blurred, cut to its core, blurred again, resized back.
cv::Mat soften(const cv::Mat& mask, const SelfBlendParams& p) {
  const int side = std::max(1, static_cast<int>(std::lround(kCanvas * p.mask_resize)));
  cv::Mat m;
  cv::resize(mask, m, {side, side}, 0, 0, cv::INTER_LINEAR);
  cv::GaussianBlur(m, m, {p.blur1, p.blur1}, 0);
  m = normalised(m);
  cv::threshold(m, m, 1.0 - 1e-5, 1.0, cv::THRESH_BINARY); // where the blur left less than 1: 0
  cv::GaussianBlur(m, m, {p.blur2, p.blur2}, p.blur2_sigma);
  m = normalised(m);
  cv::Mat back;
  cv::resize(m, back, {kCanvas, kCanvas}, 0, 0, cv::INTER_LINEAR);
  return back;
}

// The blend mask on the canvas, where the face is kFace px and centred.
cv::Mat canvas_mask(const faces::Landmarks68& lm, const Face& face, const SelfBlendParams& p) {
  const double q = kFace / face.size;
  constexpr int kShift = 4; // sub-pixel bits of the polygon's vertices
  std::vector<cv::Point> points, hull;
  for (int i : hull_points(p.hull)) {
    const cv::Point2d c((lm[i].x - face.centre.x) * q + kCanvas / 2.0, (lm[i].y - face.centre.y) * q + kCanvas / 2.0);
    points.emplace_back(cvRound(c.x * (1 << kShift)), cvRound(c.y * (1 << kShift)));
  }
  cv::convexHull(points, hull);
  cv::Mat mask = cv::Mat::zeros(kCanvas, kCanvas, CV_32F);
  cv::fillConvexPoly(mask, hull, cv::Scalar(1.0), cv::LINE_8, kShift);
  cv::Mat moved;
  cv::warpAffine(mask, moved, source_motion({kCanvas / 2.0, kCanvas / 2.0}, kFace, p), mask.size(), cv::INTER_LINEAR,
                 cv::BORDER_CONSTANT, 0);
  return soften(elastic(moved, p.seed), p);
}

// The canvas mask in the image's pixels, times the blend ratio.
cv::Mat image_mask(const cv::Mat& canvas, const Face& face, cv::Size size, double ratio) {
  const double q = kFace / face.size;
  const cv::Mat to_canvas = (cv::Mat_<double>(2, 3) << q, 0, kCanvas / 2.0 - q * face.centre.x, 0, q,
                             kCanvas / 2.0 - q * face.centre.y);
  cv::Mat mask;
  cv::warpAffine(canvas, mask, to_canvas, size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, 0);
  mask *= ratio;
  cv::threshold(mask, mask, 1.0, 1.0, cv::THRESH_TRUNC);
  cv::threshold(mask, mask, 0.0, 0.0, cv::THRESH_TOZERO);
  return mask;
}

} // namespace

SelfBlendParams draw_self_blend(std::mt19937_64& rng) {
  SelfBlendParams p;
  p.transform_source = chance(rng, 0.5);
  const bool shift_rgb = chance(rng, 0.3);
  for (double& s : p.rgb_shift) {
    const double shift = uniform(rng, -20, 20);
    s = shift_rgb ? shift : 0.0;
  }
  p.hue = uniform(rng, -0.3, 0.3), p.saturation = uniform(rng, -0.3, 0.3), p.value = uniform(rng, -0.3, 0.3);
  p.brightness = uniform(rng, -0.1, 0.1), p.contrast = uniform(rng, -0.1, 0.1);
  p.downscale = chance(rng, 0.5);
  p.downscale_factor = chance(rng, 0.5) ? 0.5 : 0.25;
  p.sharpen_alpha = uniform(rng, 0.2, 0.5), p.sharpen_lightness = uniform(rng, 0.5, 1.0);
  p.scale = uniform(rng, 0.95, 1 / 0.95);
  p.shift_x = uniform(rng, -0.03, 0.03), p.shift_y = uniform(rng, -0.015, 0.015);
  p.hull = integer(rng, 0, 3);
  p.mask_resize = integer(rng, 192, 256) / 256.0;
  p.blur1 = 5 + 2 * integer(rng, 0, 10), p.blur2 = 5 + 2 * integer(rng, 0, 10);
  p.blur2_sigma = integer(rng, 5, 45);
  p.blend_ratio = kBlendRatios[integer(rng, 0, 5)];
  p.seed = rng();
  return p;
}

nlohmann::json to_json(const SelfBlendParams& p) {
  return {{"transform_source", p.transform_source},
          {"rgb_shift", {p.rgb_shift[0], p.rgb_shift[1], p.rgb_shift[2]}},
          {"hue", p.hue}, {"saturation", p.saturation}, {"value", p.value},
          {"brightness", p.brightness}, {"contrast", p.contrast},
          {"downscale", p.downscale}, {"downscale_factor", p.downscale_factor},
          {"sharpen_alpha", p.sharpen_alpha}, {"sharpen_lightness", p.sharpen_lightness},
          {"scale", p.scale}, {"shift_x", p.shift_x}, {"shift_y", p.shift_y}, {"hull", p.hull},
          {"mask_resize", p.mask_resize}, {"blur1", p.blur1}, {"blur2", p.blur2}, {"blur2_sigma", p.blur2_sigma},
          {"blend_ratio", p.blend_ratio}, {"seed", p.seed}};
}

SelfBlendOutput self_blend(const cv::Mat& image, const faces::Landmarks68& lm, const SelfBlendParams& p) {
  check(image, p);
  const Face face = face_of(lm);
  const cv::Rect2d box(face.centre.x - face.size / 2, face.centre.y - face.size / 2, face.size, face.size);
  const bool visible = (box & cv::Rect2d(0, 0, image.cols, image.rows)).area() > 0;
  if (!visible || face.size < 2) return {image.clone(), image.clone(), cv::Mat::zeros(image.size(), CV_32F)};

  const cv::Mat changed = change_sharpness(change_colour(image, p), p);
  SelfBlendOutput out;
  out.target = p.transform_source ? image.clone() : changed;
  const cv::Mat& source = p.transform_source ? changed : image;
  cv::Mat moved;
  cv::warpAffine(source, moved, source_motion(face.centre, face.size, p), image.size(), cv::INTER_LINEAR,
                 cv::BORDER_REFLECT_101);
  out.mask = image_mask(canvas_mask(lm, face, p), face, image.size(), p.blend_ratio);
  out.image = out.target.clone();
  const cv::Rect touched = cv::boundingRect(out.mask > 0);
  if (!touched.empty()) blend(moved(touched), out.target(touched), out.mask(touched)).copyTo(out.image(touched));
  return out;
}

} // namespace curator::synth
