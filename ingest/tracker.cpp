#include "ingest/tracker.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <array>
#include <numeric>
#include <set>
#include <tuple>

namespace curator::ingest {

namespace {

struct Track {
  faces::FaceBox last_box;
  std::array<double, 128> sum{};
  int count = 0;
  std::set<size_t> frames; // sampled frames it has a face in
  faces::Embedding mean() const {
    faces::Embedding m;
    for (size_t i = 0; i < m.size(); ++i) m[i] = static_cast<float>(sum[i] / count);
    return m;
  }
  void add(const faces::DetectedFace& f) {
    last_box = f.box;
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += (*f.embedding)[i];
    ++count;
  }
};

int find(std::vector<int>& parent, int x) {
  while (parent[x] != x) x = parent[x] = parent[parent[x]];
  return x;
}

} // namespace

std::vector<std::vector<int>> assign_tracks(const std::vector<std::vector<faces::DetectedFace>>& frames,
                                            const TrackerOptions& o) {
  std::vector<Track> tracks;
  std::vector<std::vector<int>> out(frames.size());
  for (size_t f = 0; f < frames.size(); ++f) {
    const auto& faces_here = frames[f];
    out[f].assign(faces_here.size(), -1);
    // Candidate links, best first: overlap wins over appearance.
    std::vector<std::tuple<float, size_t, size_t>> links;
    for (size_t k = 0; k < faces_here.size(); ++k) {
      if (!faces_here[k].embedding) throw std::logic_error("tracking needs embeddings");
      for (size_t t = 0; t < tracks.size(); ++t) {
        const float iou = faces_here[k].box.iou(tracks[t].last_box);
        const float dist = faces::embedding_distance(*faces_here[k].embedding, tracks[t].mean());
        if (iou >= o.min_iou && dist < 2 * o.same_person_distance) links.emplace_back(2.0f + iou, k, t);
        else if (dist < o.same_person_distance) links.emplace_back(1.0f - dist, k, t);
      }
    }
    std::sort(links.begin(), links.end(), [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });
    std::vector<bool> track_used(tracks.size(), false);
    for (const auto& [score, k, t] : links) {
      if (out[f][k] != -1 || track_used[t]) continue;
      out[f][k] = static_cast<int>(t);
      track_used[t] = true;
    }
    for (size_t k = 0; k < faces_here.size(); ++k) {
      if (out[f][k] == -1) {
        out[f][k] = static_cast<int>(tracks.size());
        tracks.emplace_back();
      }
      tracks[out[f][k]].add(faces_here[k]);
      tracks[out[f][k]].frames.insert(f);
    }
  }
  // Merge tracks of one person; the earliest track's number survives. Two tracks that are in the same
  // frame are two people (or one face detected twice, which must not become one track with two faces
  // in a frame), so groups that share a frame are never merged.
  std::vector<int> parent(tracks.size());
  std::iota(parent.begin(), parent.end(), 0);
  std::vector<std::set<size_t>> group_frames(tracks.size());
  for (size_t t = 0; t < tracks.size(); ++t) group_frames[t] = tracks[t].frames;
  for (size_t a = 0; a < tracks.size(); ++a)
    for (size_t b = a + 1; b < tracks.size(); ++b) {
      if (faces::embedding_distance(tracks[a].mean(), tracks[b].mean()) >= o.same_person_distance) continue;
      const int ra = find(parent, static_cast<int>(a)), rb = find(parent, static_cast<int>(b));
      if (ra == rb) continue;
      const auto& fa = group_frames[ra];
      const auto& fb = group_frames[rb];
      if (std::any_of(fb.begin(), fb.end(), [&](size_t f) { return fa.count(f) > 0; })) continue;
      const int keep = std::min(ra, rb), gone = std::max(ra, rb);
      parent[gone] = keep;
      group_frames[keep].insert(group_frames[gone].begin(), group_frames[gone].end());
    }
  std::vector<int> number(tracks.size(), -1);
  int next = 0;
  for (auto& frame : out)
    for (auto& t : frame) {
      const int root = find(parent, t);
      if (number[root] == -1) number[root] = next++;
      t = number[root];
    }
  return out;
}

} // namespace curator::ingest
