// Face prints decide whether near-identical footage is a copy or a manipulated face: synthetic frames with a
// textured "face" region, re-scaled (a copy) or with that region replaced (a swap).
#include "ingest/face_prints.hpp"

#include <catch2/catch.hpp>
#include <opencv2/imgproc.hpp>

using namespace curator;

namespace {

cv::Mat textured(int seed, int width = 320, int height = 240) {
  cv::Mat noise(height / 8, width / 8, CV_8UC3);
  cv::RNG rng(seed);
  rng.fill(noise, cv::RNG::UNIFORM, 0, 255);
  cv::Mat frame;
  cv::resize(noise, frame, {width, height}, 0, 0, cv::INTER_CUBIC);
  return frame;
}

// The box (0.3, 0.25, 0.35, 0.45) of `frame` replaced by the same box of `donor`.
cv::Mat swapped(const cv::Mat& frame, const cv::Mat& donor) {
  cv::Mat out = frame.clone();
  const cv::Rect box(int(0.3 * frame.cols), int(0.25 * frame.rows), int(0.35 * frame.cols), int(0.45 * frame.rows));
  donor(box).copyTo(out(box));
  return out;
}

ingest::FacePrints prints_of(const std::vector<cv::Mat>& frames) {
  ingest::FacePrints prints;
  for (const auto& f : frames) prints.push_back(ingest::face_print_at(f, 0.3f, 0.25f, 0.35f, 0.45f));
  return prints;
}

} // namespace

TEST_CASE("face prints tell a re-scaled copy from a face replaced in the same footage", "[faces]") {
  const std::vector<cv::Mat> frames = {textured(1), textured(2), textured(3)};
  const auto earlier = prints_of(frames);

  const auto same = ingest::face_difference(earlier, frames);
  CHECK(same.compared == 3);
  CHECK(same.mean_grey == Approx(0).margin(1e-9));

  std::vector<cv::Mat> half, brighter, faces_swapped;
  for (size_t i = 0; i < frames.size(); ++i) {
    cv::Mat small;
    cv::resize(frames[i], small, {}, 0.5, 0.5, cv::INTER_AREA);
    half.push_back(small);
    brighter.push_back(frames[i] + cv::Scalar(20, 20, 20)); // a few pixels saturate
    faces_swapped.push_back(swapped(frames[i], textured(100 + int(i))));
  }
  const auto rescaled = ingest::face_difference(earlier, half);
  CHECK(rescaled.compared == 3);
  CHECK(rescaled.mean_grey < 4);
  CHECK(ingest::face_difference(earlier, brighter).mean_grey < 2); // each picture's mean is removed
  const auto swap = ingest::face_difference(earlier, faces_swapped);
  CHECK(swap.mean_grey > 20);

  CHECK(ingest::same_faces(earlier, half, 6));
  CHECK_FALSE(ingest::same_faces(earlier, faces_swapped, 6));
  // Not as many frames: nothing to compare, so not the same.
  CHECK_FALSE(ingest::same_faces(earlier, {frames[0], frames[1]}, 6));
  // Footage without faces is judged by its frames alone.
  CHECK(ingest::same_faces(ingest::FacePrints(3), faces_swapped, 6));
}

TEST_CASE("face prints survive storage; a blob of the wrong size reads as none", "[faces]") {
  const auto prints = prints_of({textured(7), textured(8)});
  const auto bytes = ingest::face_print_bytes(prints);
  const auto back = ingest::face_print_values(bytes.data(), static_cast<int>(bytes.size()));
  REQUIRE(back.size() == 2);
  CHECK(back[1].x == prints[1].x);
  CHECK(back[1].height == prints[1].height);
  CHECK(back[1].grey == prints[1].grey);
  CHECK(ingest::face_print_values(bytes.data(), static_cast<int>(bytes.size()) - 1).empty());
}
