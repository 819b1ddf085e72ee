#include "dataset/grouping_eval.hpp"

#include "core/sha256.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <set>

namespace curator::dataset {

namespace {

double pairs_of(double n) { return n * (n - 1) / 2; }

nlohmann::json number_or_null(double x) { return std::isnan(x) ? nlohmann::json(nullptr) : nlohmann::json(x); }

std::string text(double x) {
  if (std::isnan(x)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", x);
  return buf;
}

// Pairwise scores of weighted elements: `weight` elements of `person` in `group` per entry.
struct Cell {
  int group;
  std::string person;
  double weight;
};

PairScores score(const std::vector<Cell>& cells) {
  std::map<int, double> by_group;
  std::map<std::string, double> by_person;
  std::map<std::pair<int, std::string>, double> by_both;
  for (const auto& c : cells) {
    by_group[c.group] += c.weight;
    by_person[c.person] += c.weight;
    by_both[{c.group, c.person}] += c.weight;
  }
  PairScores s;
  for (const auto& [g, n] : by_group) s.grouped_pairs += pairs_of(n);
  for (const auto& [p, n] : by_person) s.same_pairs += pairs_of(n);
  for (const auto& [k, n] : by_both) s.correct_pairs += pairs_of(n);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  s.precision = s.grouped_pairs > 0 ? s.correct_pairs / s.grouped_pairs : nan;
  s.recall = s.same_pairs > 0 ? s.correct_pairs / s.same_pairs : nan;
  s.f1 = std::isnan(s.precision) || std::isnan(s.recall) || s.precision + s.recall == 0
             ? (s.precision == 0 || s.recall == 0 ? 0.0 : nan)
             : 2 * s.precision * s.recall / (s.precision + s.recall);
  return s;
}

size_t main_track(const EvalItem& item) {
  size_t best = 0;
  for (size_t t = 1; t < item.tracks.size(); ++t)
    if (item.tracks[t].faces > item.tracks[best].faces) best = t;
  return best;
}

} // namespace

nlohmann::json PairScores::to_json() const {
  return {{"precision", number_or_null(precision)}, {"recall", number_or_null(recall)}, {"f1", number_or_null(f1)},
          {"same_pairs", same_pairs},             {"grouped_pairs", grouped_pairs},   {"correct_pairs", correct_pairs}};
}

nlohmann::json GroupingReport::to_json() const {
  return {{"threshold", options.threshold},
          {"linkage", linkage_name(options.linkage)},
          {"face_noise", options.face_noise},
          {"items", items},
          {"faces", faces},
          {"people", people},
          {"without_face", without_face},
          {"face", face.to_json()},
          {"video", video.to_json()},
          {"groups", groups},
          {"largest_group", largest_group},
          {"largest_group_people", largest_group_people},
          {"multi_person_share", multi_person_share}};
}

std::string GroupingReport::to_text() const {
  char line[512];
  std::snprintf(line, sizeof line,
                "threshold %.3f, %s linkage, face noise %.3f: %d items (%d without a face), %d faces, %d people\n"
                "  face level:  precision %s  recall %s  F1 %s\n"
                "  video level: precision %s  recall %s  F1 %s\n"
                "  %d groups; largest %d items of %d people; %.1f%% of groups hold more than one person\n",
                options.threshold, linkage_name(options.linkage), options.face_noise, items, without_face, faces, people,
                text(face.precision).c_str(), text(face.recall).c_str(), text(face.f1).c_str(),
                text(video.precision).c_str(), text(video.recall).c_str(), text(video.f1).c_str(), groups,
                largest_group, largest_group_people, 100 * multi_person_share);
  return line;
}

GroupingReport evaluate_grouping(const std::vector<EvalItem>& items, const GroupingOptions& options) {
  GroupingReport r;
  r.options = options;
  std::vector<Vec128> vectors;
  std::vector<float> noise;
  std::vector<size_t> owner;
  for (size_t i = 0; i < items.size(); ++i)
    for (const auto& t : items[i].tracks) {
      vectors.push_back(t.identity);
      noise.push_back(track_noise(options.face_noise, t.faces));
      owner.push_back(i);
    }
  const auto grouping = group_identities(vectors, options, {}, noise);
  // Units: items joined by sharing an identity group (as the split planner joins videos).
  DisjointSets units(items.size());
  std::map<int, size_t> first_item;
  for (size_t k = 0; k < vectors.size(); ++k) {
    auto [it, added] = first_item.emplace(grouping.group[k], owner[k]);
    if (!added) units.unite(it->second, owner[k]);
  }
  std::vector<Cell> face_cells, video_cells;
  std::set<std::string> people;
  std::map<size_t, std::set<std::string>> unit_people;
  std::map<size_t, int> unit_items;
  size_t k = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& item = items[i];
    if (item.tracks.empty()) {
      ++r.without_face;
      continue;
    }
    const size_t m = main_track(item);
    const int group = grouping.group[k + m];
    k += item.tracks.size();
    ++r.items;
    r.faces += item.tracks[m].faces;
    people.insert(item.identity);
    face_cells.push_back({group, item.identity, static_cast<double>(item.tracks[m].faces)});
    const auto unit = units.find(i);
    video_cells.push_back({static_cast<int>(unit), item.identity, 1.0});
    unit_people[unit].insert(item.identity);
    unit_items[unit] += 1;
  }
  r.people = static_cast<int>(people.size());
  r.face = score(face_cells);
  r.video = score(video_cells);
  r.groups = static_cast<int>(unit_items.size());
  int multi = 0;
  for (const auto& [unit, n] : unit_items) {
    const int p = static_cast<int>(unit_people[unit].size());
    multi += p > 1;
    if (n > r.largest_group || (n == r.largest_group && p > r.largest_group_people))
      r.largest_group = n, r.largest_group_people = p;
  }
  r.multi_person_share = r.groups ? double(multi) / r.groups : 0.0;
  return r;
}

int identity_half(const std::string& identity) {
  return core::sha256_hex(identity)[0] >= '8' ? 1 : 0;
}

} // namespace curator::dataset
