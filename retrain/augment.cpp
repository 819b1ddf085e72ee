#include "retrain/augment.hpp"

#include "core/error.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace curator::retrain {

namespace {

double uniform(std::mt19937& rng, double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); }
bool chance(std::mt19937& rng, double p) { return uniform(rng, 0, 1) < p; }

} // namespace

cv::Mat augment(const cv::Mat& rgb, const AugmentOptions& o, std::mt19937& rng) {
  CV_Assert(rgb.type() == CV_8UC3);
  cv::Mat img = rgb.clone();
  const int w = img.cols, h = img.rows;
  if (chance(rng, o.flip_p)) cv::flip(img, img, 1);
  {
    const double angle = uniform(rng, -o.rotate_deg, o.rotate_deg), scale = uniform(rng, o.scale_min, o.scale_max);
    const cv::Mat m = cv::getRotationMatrix2D(cv::Point2f(w / 2.f, h / 2.f), angle, scale);
    cv::warpAffine(img, img, m, img.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT_101);
  }
  if (chance(rng, o.perspective_p)) {
    const float dx = static_cast<float>(o.perspective * w / 2), dy = static_cast<float>(o.perspective * h / 2);
    const cv::Point2f src[4] = {{0, 0}, {w - 1.f, 0}, {w - 1.f, h - 1.f}, {0, h - 1.f}};
    cv::Point2f dst[4];
    for (int i = 0; i < 4; ++i) {
      const float mx = static_cast<float>(uniform(rng, 0, dx)), my = static_cast<float>(uniform(rng, 0, dy));
      dst[i] = {src[i].x + (src[i].x < w / 2.f ? mx : -mx), src[i].y + (src[i].y < h / 2.f ? my : -my)};
    }
    cv::warpPerspective(img, img, cv::getPerspectiveTransform(src, dst), img.size(), cv::INTER_LINEAR,
                        cv::BORDER_REFLECT_101);
  }
  {
    // Brightness, contrast and saturation, each by a factor in [1 - jitter, 1 + jitter].
    const double b = uniform(rng, 1 - o.jitter, 1 + o.jitter), c = uniform(rng, 1 - o.jitter, 1 + o.jitter),
                 s = uniform(rng, 1 - o.jitter, 1 + o.jitter);
    cv::Mat f;
    img.convertTo(f, CV_32FC3, b);
    cv::Mat grey;
    cv::cvtColor(f, grey, cv::COLOR_RGB2GRAY);
    const double mean = cv::mean(grey)[0];
    f = (f - cv::Scalar::all(mean)) * c + cv::Scalar::all(mean);
    cv::cvtColor(f, grey, cv::COLOR_RGB2GRAY);
    cv::Mat grey3;
    cv::cvtColor(grey, grey3, cv::COLOR_GRAY2RGB);
    f = grey3 + (f - grey3) * s;
    f.convertTo(img, CV_8UC3); // saturates to 0..255
  }
  if (chance(rng, o.blur_p)) cv::GaussianBlur(img, img, cv::Size(0, 0), uniform(rng, 0.1, o.blur_sigma_max));
  if (chance(rng, o.jpeg_p)) {
    const int q = std::uniform_int_distribution<int>(o.jpeg_min, o.jpeg_max)(rng);
    std::vector<uint8_t> buf;
    cv::Mat bgr;
    cv::cvtColor(img, bgr, cv::COLOR_RGB2BGR);
    cv::imencode(".jpg", bgr, buf, {cv::IMWRITE_JPEG_QUALITY, q});
    cv::cvtColor(cv::imdecode(buf, cv::IMREAD_COLOR), img, cv::COLOR_BGR2RGB);
  }
  if (chance(rng, o.erase_p)) {
    // torchvision's RandomErasing: an area share and an aspect ratio (log-uniform 0.3..3.3), random pixels.
    for (int attempt = 0; attempt < 10; ++attempt) {
      const double area = uniform(rng, o.erase_min, o.erase_max) * w * h;
      const double ratio = std::exp(uniform(rng, std::log(0.3), std::log(3.3)));
      const int ew = static_cast<int>(std::round(std::sqrt(area * ratio))), eh = static_cast<int>(std::round(std::sqrt(area / ratio)));
      if (ew < 1 || eh < 1 || ew >= w || eh >= h) continue;
      const int x = std::uniform_int_distribution<int>(0, w - ew)(rng), y = std::uniform_int_distribution<int>(0, h - eh)(rng);
      cv::Mat patch = img(cv::Rect(x, y, ew, eh));
      std::uniform_int_distribution<int> byte(0, 255);
      for (int r = 0; r < eh; ++r)
        for (int k = 0; k < ew * 3; ++k) patch.ptr<uint8_t>(r)[k] = static_cast<uint8_t>(byte(rng));
      break;
    }
  }
  return img;
}

AugmentOptions mild_augment() {
  AugmentOptions o;
  o.rotate_deg = 10, o.scale_min = 0.95, o.scale_max = 1.05;
  o.perspective_p = 0;
  o.jitter = 0.1;
  o.erase_p = 0;
  o.jpeg_p = 0.3, o.jpeg_min = 70;
  o.blur_p = 0.1, o.blur_sigma_max = 1.0;
  return o;
}

AugmentOptions augment_preset(const std::string& name) {
  if (name == "strong") return AugmentOptions{};
  if (name == "mild") return mild_augment();
  throw InvalidInput("unknown augmentation set '" + name + "' (strong or mild)");
}

const char* input_norm_name(InputNorm norm) {
  return norm == InputNorm::half ? "half" : norm == InputNorm::faceapi ? "faceapi" : "imagenet";
}

InputNorm parse_input_norm(const std::string& text) {
  if (text == "imagenet") return InputNorm::imagenet;
  if (text == "half") return InputNorm::half;
  if (text == "faceapi") return InputNorm::faceapi;
  throw InvalidInput("unknown input normalisation '" + text + "' (imagenet, half or faceapi)");
}

InputNorm input_norm_for(const std::string& backbone) {
  return backbone == "xception" ? InputNorm::half : backbone == "faceapi" ? InputNorm::faceapi : InputNorm::imagenet;
}

void to_chw(const cv::Mat& rgb, int size, float* out, InputNorm norm, int detail) {
  static const float imagenet_mean[3] = {0.485f, 0.456f, 0.406f}, imagenet_std[3] = {0.229f, 0.224f, 0.225f};
  static const float half[3] = {0.5f, 0.5f, 0.5f}, one[3] = {1.f, 1.f, 1.f};
  static const float faceapi_mean[3] = {122.782f / 255, 117.001f / 255, 104.298f / 255};
  const float* mean = norm == InputNorm::half ? half : norm == InputNorm::faceapi ? faceapi_mean : imagenet_mean;
  const float* stdev = norm == InputNorm::half ? half : norm == InputNorm::faceapi ? one : imagenet_std;
  cv::Mat resized;
  if (rgb.cols == size && rgb.rows == size) resized = rgb;
  else cv::resize(rgb, resized, cv::Size(size, size), 0, 0, cv::INTER_AREA);
  if (detail > 0 && detail < size) {
    cv::Mat small;
    cv::resize(resized, small, cv::Size(detail, detail), 0, 0, cv::INTER_AREA);
    cv::resize(small, resized, cv::Size(size, size), 0, 0, cv::INTER_LINEAR);
  }
  const size_t plane = static_cast<size_t>(size) * size;
  for (int y = 0; y < size; ++y) {
    const uint8_t* row = resized.ptr<uint8_t>(y);
    for (int x = 0; x < size; ++x)
      for (int c = 0; c < 3; ++c)
        out[c * plane + static_cast<size_t>(y) * size + x] = (row[x * 3 + c] / 255.f - mean[c]) / stdev[c];
  }
}

} // namespace curator::retrain
