#include "ingest/faces/chips.hpp"

#include "core/error.hpp"
#include "ingest/faces/image_ops.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstring>

namespace curator::faces {

namespace {
cv::Point2f centre(const Landmarks68& p, int from, int to) {
  cv::Point2f sum(0, 0);
  for (int i = from; i < to; ++i) sum += p[i];
  return sum / static_cast<float>(to - from);
}
float norm(cv::Point2f v) { return std::sqrt(v.x * v.x + v.y * v.y); }
} // namespace

FaceBox descriptor_rect(const Landmarks68& p) {
  const cv::Point2f left_eye = centre(p, 36, 42), right_eye = centre(p, 42, 48), mouth = centre(p, 48, 68);
  const float size = std::floor((norm(mouth - left_eye) + norm(mouth - right_eye)) / 2 / 0.45f);
  const cv::Point2f c = (left_eye + right_eye + mouth) / 3.0f;
  return FaceBox{std::floor(c.x - 0.5f * size), std::floor(c.y - 0.43f * size), size, size, 0};
}

cv::Mat identity_chip(const cv::Mat& rgb, const Landmarks68& landmarks) {
  const cv::Rect crop = clip_and_floor(descriptor_rect(landmarks), rgb.cols, rgb.rows);
  if (crop.width <= 0 || crop.height <= 0) throw InvalidInput("face lies outside the image");
  auto chw = square_resized_chw(rgb(crop), 150, /*centre=*/true).permute({1, 2, 0}).contiguous();
  cv::Mat chip(150, 150, CV_32FC3);
  std::memcpy(chip.data, chw.data_ptr<float>(), 150 * 150 * 3 * sizeof(float));
  return chip;
}

FaceBox training_crop_box(const FaceBox& box, double scale) {
  const double side = std::max(box.width, box.height) * scale;
  const double cx = box.x + box.width / 2.0, cy = box.y + box.height / 2.0;
  const auto x0 = static_cast<float>(std::lround(cx - side / 2)), y0 = static_cast<float>(std::lround(cy - side / 2));
  const auto s = static_cast<float>(std::max(1L, std::lround(side)));
  return {x0, y0, s, s, box.score};
}

cv::Mat training_crop(const cv::Mat& image, const FaceBox& box, int size, double scale) {
  if (size <= 0 || scale <= 0) throw InvalidInput("crop size and scale must be positive");
  const FaceBox region = training_crop_box(box, scale);
  const int x0 = static_cast<int>(region.x), y0 = static_cast<int>(region.y), s = static_cast<int>(region.width);
  // Copy the part inside the frame into a zero square, so faces at the edge keep their geometry.
  cv::Mat square = cv::Mat::zeros(s, s, image.type());
  const cv::Rect want(x0, y0, s, s), inside = want & cv::Rect(0, 0, image.cols, image.rows);
  if (inside.area() > 0) image(inside).copyTo(square(cv::Rect(inside.x - x0, inside.y - y0, inside.width, inside.height)));
  cv::Mat out;
  cv::resize(square, out, cv::Size(size, size), 0, 0, s > size ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

std::vector<uint8_t> encode_training_crop(const cv::Mat& rgb) {
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  std::vector<uint8_t> jpg;
  cv::imencode(".jpg", bgr, jpg, {cv::IMWRITE_JPEG_QUALITY, 95});
  return jpg;
}

cv::Mat stored_training_crop(const cv::Mat& rgb) {
  const auto jpg = encode_training_crop(rgb);
  cv::Mat bgr = cv::imdecode(jpg, cv::IMREAD_COLOR), out;
  cv::cvtColor(bgr, out, cv::COLOR_BGR2RGB);
  return out;
}

} // namespace curator::faces
