#include "ingest/faces/identity.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace curator::faces {

Embedding unit_embedding(const Embedding& e) {
  double n2 = 0;
  for (float x : e) n2 += double(x) * x;
  if (n2 <= 0) return e;
  const auto inv = static_cast<float>(1.0 / std::sqrt(n2));
  Embedding out;
  for (size_t i = 0; i < e.size(); ++i) out[i] = e[i] * inv;
  return out;
}

float face_weight(const FaceBox& box) {
  const float side = std::min(box.width, box.height);
  return std::max(box.score, 0.01f) * std::clamp(side / 80.0f, 0.1f, 1.0f);
}

namespace {

Embedding weighted_mean(const std::vector<Embedding>& unit, const std::vector<float>& w, const std::vector<char>& keep) {
  std::array<double, 128> sum{};
  for (size_t f = 0; f < unit.size(); ++f)
    if (keep[f])
      for (size_t i = 0; i < sum.size(); ++i) sum[i] += double(w[f]) * unit[f][i];
  Embedding out;
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(sum[i]);
  return unit_embedding(out);
}

} // namespace

Embedding track_identity(const std::vector<Embedding>& faces, const std::vector<float>& weights) {
  if (faces.empty()) throw std::invalid_argument("a track without faces has no identity");
  if (!weights.empty() && weights.size() != faces.size())
    throw std::invalid_argument("one weight per face expected");
  std::vector<Embedding> unit;
  for (const auto& e : faces) unit.push_back(unit_embedding(e));
  const std::vector<float> w = weights.empty() ? std::vector<float>(faces.size(), 1.0f) : weights;
  std::vector<char> keep(faces.size(), 1);
  const Embedding first = weighted_mean(unit, w, keep);
  std::vector<char> close(faces.size());
  for (size_t f = 0; f < faces.size(); ++f) close[f] = embedding_distance(unit[f], first) <= kOutlierDistance;
  if (std::count(close.begin(), close.end(), 1) >= 3) keep = close;
  return weighted_mean(unit, w, keep);
}

} // namespace curator::faces
