#include "retrain/changed_faces.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <map>

namespace curator::retrain {

namespace {

cv::Point2f centre(const std::vector<float>& lm) {
  cv::Point2f c(0, 0);
  for (size_t i = 0; i < lm.size(); i += 2) c += cv::Point2f(lm[i], lm[i + 1]);
  return c * (2.0f / static_cast<float>(lm.size()));
}

// The share of the face (the landmarks' hull, in a 112 px grey copy of both crops) whose pixels differ
// by more than the noise level; NaN when a crop cannot be read.
double changed_share(const std::filesystem::path& a, const std::filesystem::path& b, const std::vector<float>& lm,
                     int noise_level) {
  const cv::Mat ia = cv::imread(a.string(), cv::IMREAD_GRAYSCALE), ib = cv::imread(b.string(), cv::IMREAD_GRAYSCALE);
  if (ia.empty() || ib.empty()) return NAN;
  constexpr int side = 112;
  cv::Mat ra, rb, diff;
  cv::resize(ia, ra, {side, side}, 0, 0, cv::INTER_AREA), cv::resize(ib, rb, {side, side}, 0, 0, cv::INTER_AREA);
  // A light blur first: boxes found separately in the two videos may sit a pixel apart.
  cv::GaussianBlur(ra, ra, {0, 0}, 1.0), cv::GaussianBlur(rb, rb, {0, 0}, 1.0);
  cv::absdiff(ra, rb, diff);
  std::vector<cv::Point> points, hull;
  for (size_t i = 0; i < lm.size(); i += 2) points.emplace_back(cvRound(lm[i] * side), cvRound(lm[i + 1] * side));
  cv::convexHull(points, hull);
  cv::Mat mask = cv::Mat::zeros(side, side, CV_8U);
  cv::fillConvexPoly(mask, hull, 255);
  const int area = cv::countNonZero(mask);
  if (area == 0) return NAN;
  return static_cast<double>(cv::countNonZero((diff > noise_level) & mask)) / area;
}

} // namespace

std::vector<bool> changed_faces(const std::vector<dataset::ManifestItem>& items, const std::filesystem::path& root,
                                const ChangedFacesOptions& o) {
  std::map<std::pair<int64_t, int>, std::vector<size_t>> by_frame; // (video, frame) -> items
  for (size_t i = 0; i < items.size(); ++i) by_frame[{items[i].video, items[i].frame}].push_back(i);
  std::vector<bool> out(items.size(), true);
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& fake = items[i];
    if (fake.label != "fake" || fake.derived_from.empty() || fake.landmarks.size() != 136) continue;
    const auto here = centre(fake.landmarks);
    for (const int64_t original : fake.derived_from) {
      const auto it = by_frame.find({original, fake.frame});
      if (it == by_frame.end()) continue;
      for (const size_t j : it->second) {
        const auto& real = items[j];
        if (real.landmarks.size() != 136 || cv::norm(centre(real.landmarks) - here) > o.same_place) continue;
        const double share = changed_share(root / fake.crop, root / real.crop, fake.landmarks, o.noise_level);
        if (!std::isnan(share) && share <= o.changed_share) out[i] = false;
      }
    }
  }
  return out;
}

} // namespace curator::retrain
