#include "synth/manipulations.hpp"

#include "core/enum_names.hpp"
#include "core/error.hpp"

#include <opencv2/imgproc.hpp>
#include <opencv2/photo.hpp>

#include <cmath>
#include <vector>

namespace curator::synth {

namespace {

constexpr core::EnumNames<Method, 4> kMethods{
    "synth method",
    {{{Method::blend, "blend"}, {Method::self_blend, "self-blend"}, {Method::lowres, "lowres"}, {Method::swap, "swap"}}}};

double uniform(Rng& rng, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }

cv::Point2f mean_of(const faces::Landmarks68& lm) {
  cv::Point2f m(0, 0);
  for (const auto& p : lm) m += p;
  return m * (1.0f / 68);
}

// The similarity transform (scale, rotation, shift) that best maps `from` onto `to` in least squares.
cv::Mat similarity(const faces::Landmarks68& from, const faces::Landmarks68& to) {
  const cv::Point2f mf = mean_of(from), mt = mean_of(to);
  double sxx = 0, a = 0, b = 0;
  for (size_t i = 0; i < from.size(); ++i) {
    const cv::Point2f f = from[i] - mf, t = to[i] - mt;
    sxx += f.x * f.x + f.y * f.y;
    a += f.x * t.x + f.y * t.y;
    b += f.x * t.y - f.y * t.x;
  }
  a /= std::max(sxx, 1e-9), b /= std::max(sxx, 1e-9);
  cv::Mat m = (cv::Mat_<double>(2, 3) << a, -b, 0, b, a, 0);
  m.at<double>(0, 2) = mt.x - (a * mf.x - b * mf.y);
  m.at<double>(1, 2) = mt.y - (b * mf.x + a * mf.y);
  return m;
}

// Reinhard colour transfer in Lab: `image`'s statistics inside `mask` matched to `reference`'s there.
cv::Mat match_colours(const cv::Mat& image, const cv::Mat& reference, const cv::Mat& mask) {
  cv::Mat lab_i, lab_r, m8;
  cv::cvtColor(image, lab_i, cv::COLOR_RGB2Lab), cv::cvtColor(reference, lab_r, cv::COLOR_RGB2Lab);
  mask.convertTo(m8, CV_8U, 255);
  cv::Scalar mi, si, mr, sr;
  cv::meanStdDev(lab_i, mi, si, m8 > 127), cv::meanStdDev(lab_r, mr, sr, m8 > 127);
  cv::Mat f;
  lab_i.convertTo(f, CV_32FC3);
  std::vector<cv::Mat> ch;
  cv::split(f, ch);
  for (int c = 0; c < 3; ++c) ch[c] = (ch[c] - mi[c]) * (sr[c] / std::max(si[c], 1e-3)) + mr[c];
  cv::merge(ch, f);
  f.convertTo(lab_i, CV_8UC3);
  cv::Mat out;
  cv::cvtColor(lab_i, out, cv::COLOR_Lab2RGB);
  return out;
}

// Delaunay triangles of the landmarks, as landmark indices.
std::vector<std::array<int, 3>> triangles(const faces::Landmarks68& lm, cv::Size frame) {
  cv::Rect2f box = cv::boundingRect(std::vector<cv::Point2f>(lm.begin(), lm.end()));
  box.x -= 2, box.y -= 2, box.width += 4, box.height += 4;
  cv::Subdiv2D subdiv(cv::Rect(static_cast<int>(box.x), static_cast<int>(box.y), static_cast<int>(box.width) + 1,
                               static_cast<int>(box.height) + 1));
  for (const auto& p : lm) subdiv.insert(p);
  std::vector<cv::Vec6f> list;
  subdiv.getTriangleList(list);
  auto index_of = [&](float x, float y) {
    int best = -1;
    float best_d = 1.0f;
    for (int i = 0; i < 68; ++i) {
      const float d = std::abs(lm[i].x - x) + std::abs(lm[i].y - y);
      if (d < best_d) best_d = d, best = i;
    }
    return best;
  };
  std::vector<std::array<int, 3>> out;
  for (const auto& t : list) {
    const std::array<int, 3> tri = {index_of(t[0], t[1]), index_of(t[2], t[3]), index_of(t[4], t[5])};
    if (tri[0] < 0 || tri[1] < 0 || tri[2] < 0) continue; // a corner of the enclosing box
    out.push_back(tri);
  }
  (void)frame;
  return out;
}

// Warps the triangle `src` of `from` onto the triangle `dst` of `to` (in place).
void warp_triangle(const cv::Mat& from, cv::Mat& to, const std::array<cv::Point2f, 3>& src,
                   const std::array<cv::Point2f, 3>& dst) {
  const double area = std::abs((dst[1] - dst[0]).cross(dst[2] - dst[0]));
  if (area < 1.0) return;
  const cv::Rect r1 = cv::boundingRect(std::vector<cv::Point2f>(src.begin(), src.end())) & cv::Rect(0, 0, from.cols, from.rows);
  const cv::Rect r2 = cv::boundingRect(std::vector<cv::Point2f>(dst.begin(), dst.end())) & cv::Rect(0, 0, to.cols, to.rows);
  if (r1.area() == 0 || r2.area() == 0) return;
  std::array<cv::Point2f, 3> s, d;
  std::vector<cv::Point> poly;
  for (int i = 0; i < 3; ++i) {
    s[i] = src[i] - cv::Point2f(r1.tl());
    d[i] = dst[i] - cv::Point2f(r2.tl());
    poly.emplace_back(cvRound(d[i].x), cvRound(d[i].y));
  }
  const cv::Mat affine = cv::getAffineTransform(s.data(), d.data());
  cv::Mat patch;
  cv::warpAffine(from(r1), patch, affine, r2.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT_101);
  cv::Mat mask = cv::Mat::zeros(r2.size(), CV_8U);
  cv::fillConvexPoly(mask, poly, cv::Scalar(255));
  patch.copyTo(to(r2), mask);
}

} // namespace

const char* method_name(Method method) { return kMethods.name(method); }
Method parse_method(const std::string& text) { return kMethods.parse(text); }
bool needs_donor(Method method) { return method == Method::blend || method == Method::swap; }

double shape_distance(const faces::Landmarks68& a, const faces::Landmarks68& b) {
  auto normalised = [](const faces::Landmarks68& lm) {
    const cv::Point2f m = mean_of(lm);
    double spread = 0;
    for (const auto& p : lm) spread += (p - m).dot(p - m);
    spread = std::sqrt(std::max(spread / 68, 1e-9));
    std::array<cv::Point2f, 68> out;
    for (size_t i = 0; i < 68; ++i) out[i] = (lm[i] - m) * static_cast<float>(1.0 / spread);
    return out;
  };
  const auto na = normalised(a), nb = normalised(b);
  double d = 0;
  for (size_t i = 0; i < 68; ++i) d += (na[i] - nb[i]).dot(na[i] - nb[i]);
  return std::sqrt(d / 68);
}

cv::Mat blend_face(const cv::Mat& frame, const faces::Landmarks68& lm, const Donor& donor, const MaskParams& mask) {
  cv::Mat warped;
  cv::warpAffine(donor.image, warped, similarity(donor.landmarks, lm), frame.size(), cv::INTER_LINEAR,
                 cv::BORDER_REFLECT_101);
  const cv::Mat hull = hull_mask(frame.size(), lm);
  const cv::Mat matched = match_colours(warped, frame, hull);
  return blend(matched, frame, deformed_mask(frame.size(), lm, mask));
}

LowresParams draw_lowres(Rng& rng) {
  LowresParams p;
  p.sigma = uniform(rng, 0.3, 0.8);
  return p;
}

cv::Mat lowres_face(const cv::Mat& frame, const faces::Landmarks68& lm, const LowresParams& p) {
  const cv::Rect region = face_region(frame.size(), lm, 0.1);
  if (region.width < 2 || region.height < 2) return frame.clone();
  cv::Mat small, back;
  cv::resize(frame(region), small, {p.side, p.side}, 0, 0, cv::INTER_AREA);
  cv::GaussianBlur(small, small, {3, 3}, p.sigma); // a decoder's smooth output
  cv::resize(small, back, region.size(), 0, 0, cv::INTER_CUBIC);
  cv::Mat rendered = frame.clone();
  back.copyTo(rendered(region));
  return blend(rendered, frame, feathered_hull(frame.size(), lm));
}

cv::Mat swap_face(const cv::Mat& frame, const faces::Landmarks68& lm, const Donor& donor) {
  cv::Mat warped = frame.clone();
  for (const auto& t : triangles(lm, frame.size()))
    warp_triangle(donor.image, warped, {donor.landmarks[t[0]], donor.landmarks[t[1]], donor.landmarks[t[2]]},
                  {lm[t[0]], lm[t[1]], lm[t[2]]});
  // Poisson blending inside the hull, kept two pixels off the frame's edges (seamlessClone needs a margin).
  cv::Mat mask;
  hull_mask(frame.size(), lm).convertTo(mask, CV_8U, 255);
  const cv::Rect inner(2, 2, frame.cols - 4, frame.rows - 4);
  cv::Mat keep = cv::Mat::zeros(frame.size(), CV_8U);
  keep(inner).setTo(255);
  mask &= keep;
  const cv::Rect box = cv::boundingRect(mask);
  if (box.width < 4 || box.height < 4) return frame.clone();
  cv::Mat out;
  cv::seamlessClone(warped, frame, mask, cv::Point(box.x + box.width / 2, box.y + box.height / 2), out, cv::NORMAL_CLONE);
  return out;
}

ClipParams draw_clip(Method method, Rng& rng) {
  ClipParams p;
  p.method = method;
  switch (method) {
  case Method::blend: p.mask = draw_mask(rng); break;
  case Method::self_blend: p.self_blend = draw_self_blend(rng); break;
  case Method::lowres: p.lowres = draw_lowres(rng); break;
  case Method::swap: break;
  }
  return p;
}

nlohmann::json to_json(const ClipParams& p) {
  switch (p.method) {
  case Method::blend: return to_json(p.mask);
  case Method::self_blend: return to_json(p.self_blend);
  case Method::lowres: return {{"side", p.lowres.side}, {"sigma", p.lowres.sigma}};
  case Method::swap: break;
  }
  return nlohmann::json::object();
}

cv::Mat manipulate(const cv::Mat& frame, const faces::Landmarks68& lm, const ClipParams& p, const Donor* donor) {
  if (needs_donor(p.method) && !donor) throw InvalidInput(std::string(method_name(p.method)) + " needs a donor face");
  switch (p.method) {
  case Method::blend: return blend_face(frame, lm, *donor, p.mask);
  case Method::self_blend: return self_blend(frame, lm, p.self_blend).image;
  case Method::lowres: return lowres_face(frame, lm, p.lowres);
  case Method::swap: return swap_face(frame, lm, *donor);
  }
  throw std::logic_error("unknown synth method");
}

} // namespace curator::synth
