#include "dataset/split_planner.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>

namespace curator::dataset {

const char* decision_name(Decision d) {
  switch (d) {
  case Decision::kept: return "kept";
  case Decision::inherited: return "inherited";
  case Decision::official: return "official";
  case Decision::rule: return "rule";
  case Decision::quarantined: return "quarantined";
  case Decision::excluded: return "excluded";
  case Decision::conflict: return "conflict";
  }
  return "kept";
}

namespace {

using Edges = std::vector<std::pair<uint32_t, uint32_t>>;

uint8_t bit(Split s) { return static_cast<uint8_t>(1u << static_cast<int>(s)); }
int popcount(uint8_t m) { return __builtin_popcount(m); }

std::string splits_text(uint8_t mask) {
  std::string out;
  for (Split s : {Split::train, Split::val, Split::test})
    if (mask & bit(s)) out += (out.empty() ? "" : " and ") + std::string(split_name(s));
  return out;
}

// One grouping pass over the active videos: the identity group of every track and the video-level
// edges (identity pairs between different videos, declared relations, near-duplicate footage).
struct Pass {
  Edges edges;
  std::vector<int> track_group; ///< -1 for tracks of inactive videos
  int identity_groups = 0;
};

Pass group_pass(const PlanInput& in, const std::vector<char>& active) {
  Pass pass;
  std::vector<Vec128> embeddings;
  std::vector<float> noise;
  std::vector<uint32_t> owner, index;
  pass.track_group.assign(in.tracks.size(), -1);
  for (uint32_t t = 0; t < in.tracks.size(); ++t)
    if (in.tracks[t].video < in.videos.size() && active[in.tracks[t].video]) {
      embeddings.push_back(in.tracks[t].embedding);
      noise.push_back(track_noise(in.grouping.face_noise, in.tracks[t].faces));
      owner.push_back(in.tracks[t].video);
      index.push_back(t);
    }
  const auto grouping = group_identities(embeddings, in.grouping, {}, noise);
  pass.identity_groups = grouping.groups;
  for (size_t k = 0; k < index.size(); ++k) pass.track_group[index[k]] = grouping.group[k];
  for (const auto& [a, b] : grouping.edges)
    if (owner[a] != owner[b]) pass.edges.emplace_back(owner[a], owner[b]);
  for (const auto* list : {&in.links, &in.duplicates})
    for (const auto& [a, b] : *list)
      if (a < in.videos.size() && b < in.videos.size() && a != b && active[a] && active[b]) pass.edges.emplace_back(a, b);
  return pass;
}

// Holds back the unassigned videos that would join two large identity groups: through their own
// tracks (two people in one clip, or a face the grouping puts with both) or through near-duplicate
// footage (a face swap whose face is the donor's, on the target's footage). Fakes are blamed before
// reals, then videos in key order; a video that declares a relation is trusted.
size_t quarantine_large_bridges(const PlanInput& in, const Pass& pass, std::vector<char>& active, Plan& plan) {
  if (in.bridge_min_videos <= 0) return 0;
  const size_t n = in.videos.size();
  std::vector<std::set<uint32_t>> group_videos(static_cast<size_t>(pass.identity_groups));
  std::vector<std::set<int>> attached(n);
  for (size_t t = 0; t < in.tracks.size(); ++t)
    if (pass.track_group[t] >= 0) {
      group_videos[static_cast<size_t>(pass.track_group[t])].insert(in.tracks[t].video);
      attached[in.tracks[t].video].insert(pass.track_group[t]);
    }
  std::vector<char> declared(n, 0);
  for (const auto& [a, b] : in.links)
    if (a < n && b < n) declared[a] = declared[b] = 1;
  std::vector<std::vector<uint32_t>> footage(n);
  for (const auto& [a, b] : in.duplicates)
    if (a < n && b < n && active[a] && active[b]) footage[a].push_back(b), footage[b].push_back(a);
  std::vector<uint32_t> order;
  for (uint32_t i = 0; i < n; ++i)
    if (active[i] && !in.videos[i].assigned && !declared[i]) order.push_back(i);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const bool fa = in.videos[a].label == "fake", fb = in.videos[b].label == "fake";
    return fa != fb ? fa : in.videos[a].key < in.videos[b].key;
  });
  std::vector<char> held(n, 0);
  size_t count = 0;
  for (uint32_t v : order) {
    std::set<int> groups = attached[v];
    for (uint32_t u : footage[v])
      if (!held[u]) groups.insert(attached[u].begin(), attached[u].end());
    std::vector<size_t> large;
    for (int g : groups) {
      size_t others = 0;
      for (uint32_t w : group_videos[static_cast<size_t>(g)]) others += w != v && !held[w];
      if (others >= static_cast<size_t>(in.bridge_min_videos)) large.push_back(others);
    }
    if (large.size() < 2) continue;
    std::sort(large.rbegin(), large.rend());
    held[v] = 1;
    active[v] = 0;
    ++count;
    plan.videos[v].decision = Decision::quarantined;
    plan.videos[v].reason = "would join two large identity groups (" + std::to_string(large[0]) + " and " +
                            std::to_string(large[1]) +
                            " other videos): a face swap between two people, two people in one clip, or a "
                            "misgrouped face; held back so they stay separate units (declare what it derives "
                            "from to keep it, or exclude it)";
  }
  return count;
}

// Holds back the unassigned fakes whose edges would chain units past the size cap. Units are formed
// from every edge that does not touch such a fake; then each fake, in key order, joins the units it
// touches when the result stays within the cap. When those units are all assigned to one split, the
// fake joins that split without merging them (assigned membership is frozen): it keeps only its edge to
// the neighbour with the smallest key, and its other edges leave `pass`.
size_t quarantine_percolating_fakes(const PlanInput& in, Pass& pass, std::vector<char>& active, Plan& plan) {
  const size_t n = in.videos.size();
  size_t active_count = 0;
  for (size_t i = 0; i < n; ++i) active_count += active[i] != 0;
  const auto cap = static_cast<size_t>(std::max(10.0, in.max_unit_share * static_cast<double>(active_count)));
  if (in.max_unit_share >= 1 || active_count <= cap) return 0;
  auto is_bridge = [&](size_t i) { return active[i] && !in.videos[i].assigned && in.videos[i].label == "fake"; };
  DisjointSets units(n);
  std::vector<std::vector<uint32_t>> touches(n);
  for (const auto& [a, b] : pass.edges) {
    const bool ba = is_bridge(a), bb = is_bridge(b);
    if (!ba && !bb) units.unite(a, b);
    if (ba) touches[a].push_back(b);
    if (bb) touches[b].push_back(a);
  }
  std::vector<size_t> size(n, 0);
  std::vector<uint8_t> splits(n, 0);
  for (size_t i = 0; i < n; ++i)
    if (active[i]) {
      size[units.find(i)] += 1;
      if (in.videos[i].assigned) splits[units.find(i)] |= bit(*in.videos[i].assigned);
    }
  std::vector<uint32_t> order;
  for (uint32_t i = 0; i < n; ++i)
    if (is_bridge(i)) order.push_back(i);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return in.videos[a].key < in.videos[b].key; });
  size_t held = 0;
  std::map<uint32_t, uint32_t> attach_only; // fake -> the one neighbour it keeps
  for (uint32_t v : order) {
    const size_t own = units.find(v);
    std::set<size_t> roots; // the other units it touches
    for (uint32_t u : touches[v])
      if (active[u] && units.find(u) != own) roots.insert(units.find(u));
    size_t total = size[own];
    uint8_t mask = splits[own];
    bool all_assigned = true;
    for (size_t r : roots) {
      total += size[r];
      mask |= splits[r];
      all_assigned = all_assigned && splits[r] != 0;
    }
    const bool settled = all_assigned && popcount(mask) == 1; // its split is known: attach, do not merge
    // It chains units when it touches two, or one besides the unit an earlier fake pulled it into.
    const bool chains = roots.size() >= 2 || (!roots.empty() && size[own] > 1);
    if (chains && total > cap && settled) {
      uint32_t keep = touches[v].front();
      for (uint32_t u : touches[v])
        if (active[u] && in.videos[u].key < in.videos[keep].key) keep = u;
      attach_only.emplace(v, keep);
      continue;
    }
    if (chains && total > cap) {
      active[v] = 0;
      ++held;
      plan.videos[v].decision = Decision::quarantined;
      plan.videos[v].reason = "would chain " + std::to_string(roots.size() - 1) + " units into one of " +
                              std::to_string(total) + " videos (over dataset.max_unit_share, " + std::to_string(cap) +
                              " videos): held back so the people stay apart and the test split keeps its share; it "
                              "re-enters when its units share one split";
      continue;
    }
    for (size_t r : roots) {
      const size_t a = units.find(v), b = units.find(r);
      if (a == b) continue;
      const size_t both = size[a] + size[b];
      const auto mask_both = static_cast<uint8_t>(splits[a] | splits[b]);
      units.unite(a, b);
      size[units.find(a)] = both;
      splits[units.find(a)] = mask_both;
    }
  }
  if (held == 0 && !attach_only.empty()) {
    auto dropped = [&](const std::pair<uint32_t, uint32_t>& e) {
      for (const auto& [v, keep] : attach_only)
        if ((e.first == v && e.second != keep) || (e.second == v && e.first != keep)) return true;
      return false;
    };
    pass.edges.erase(std::remove_if(pass.edges.begin(), pass.edges.end(), dropped), pass.edges.end());
  }
  return held;
}

// Marks the unassigned videos that join units already in different splits; returns how many. Blame goes
// first to new videos that touch two splits directly (a video showing people from both sides); a unit
// bridged only by a chain of new videos holds back the whole chain, and a unit whose assigned videos
// already disagree holds back all its new videos. The caller regroups, so later rounds catch bridges
// this pass could not see.
size_t quarantine_bridges(const PlanInput& in, const Edges& edges, std::vector<char>& active, Plan& plan) {
  const size_t n = in.videos.size();
  DisjointSets units(n), fresh(n);
  for (const auto& [a, b] : edges) {
    units.unite(a, b);
    if (!in.videos[a].assigned && !in.videos[b].assigned) fresh.unite(a, b);
  }
  std::vector<uint8_t> unit_splits(n, 0), direct(n, 0), chain(n, 0);
  for (size_t i = 0; i < n; ++i)
    if (active[i] && in.videos[i].assigned) unit_splits[units.find(i)] |= bit(*in.videos[i].assigned);
  for (const auto& [a, b] : edges) {
    const auto& va = in.videos[a];
    const auto& vb = in.videos[b];
    if (va.assigned && !vb.assigned) direct[b] |= bit(*va.assigned);
    if (vb.assigned && !va.assigned) direct[a] |= bit(*vb.assigned);
  }
  for (size_t i = 0; i < n; ++i)
    if (!in.videos[i].assigned) chain[fresh.find(i)] |= direct[i];
  auto bridging = [&](size_t i) {
    return active[i] && !in.videos[i].assigned && popcount(unit_splits[units.find(i)]) >= 2;
  };
  std::vector<char> unit_done(n, 0), chain_done(n, 0);
  std::vector<size_t> held;
  for (size_t i = 0; i < n; ++i)
    if (bridging(i) && popcount(direct[i]) >= 2) {
      held.push_back(i);
      unit_done[units.find(i)] = 1;
    }
  for (size_t i = 0; i < n; ++i)
    if (bridging(i) && !unit_done[units.find(i)] && popcount(chain[fresh.find(i)]) >= 2) {
      held.push_back(i);
      chain_done[units.find(i)] = 1;
    }
  for (size_t i = 0; i < n; ++i)
    if (bridging(i) && !unit_done[units.find(i)] && !chain_done[units.find(i)]) held.push_back(i);
  for (size_t i : held) {
    active[i] = 0;
    plan.videos[i].decision = Decision::quarantined;
    plan.videos[i].reason = "would join groups already assigned to " + splits_text(unit_splits[units.find(i)]) +
                            ": held back for review so no person crosses splits";
  }
  return held.size();
}

// A video's stratum: its source and claimed label. Split shares are kept per stratum.
std::string stratum_of(const VideoNode& v) { return v.source + "|" + v.label; }

using Members = std::map<size_t, std::vector<size_t>>; // unit root -> active members, ascending
using Counts = std::map<std::string, std::array<double, 3>>; // stratum -> videos per split

std::string unit_key(const PlanInput& in, const std::vector<size_t>& list) {
  std::string key = in.videos[list.front()].key;
  for (size_t i : list) key = std::min(key, in.videos[i].key);
  return key;
}

// Units that already hold assigned videos: those keep their splits, new members inherit the one split.
// Returns the units with no assigned video yet, as (unit key, root).
std::vector<std::pair<std::string, size_t>> place_assigned(const PlanInput& in, const Members& members, Counts& counts,
                                                           Plan& plan) {
  std::vector<std::pair<std::string, size_t>> fresh_units;
  for (const auto& [root, list] : members) {
    const std::string key = unit_key(in, list);
    uint8_t mask = 0;
    for (size_t i : list)
      if (in.videos[i].assigned) mask |= bit(*in.videos[i].assigned);
    const std::string group = "g-" + key.substr(0, 16);
    for (size_t i : list) plan.videos[i].group = group;
    if (mask == 0) {
      fresh_units.emplace_back(key, root);
      continue;
    }
    if (popcount(mask) >= 2) ++plan.conflicts;
    for (size_t i : list) {
      auto& v = plan.videos[i];
      if (in.videos[i].assigned) {
        v.split = in.videos[i].assigned;
        if (popcount(mask) >= 2) {
          v.decision = Decision::conflict;
          v.reason = "this group already has videos in " + splits_text(mask) + " (assigned under older settings)";
        }
      } else {
        for (Split s : {Split::train, Split::val, Split::test}) // one split: bridges were held back
          if (mask == bit(s)) v.split = s;
        v.decision = Decision::inherited;
      }
      counts[stratum_of(in.videos[i])][static_cast<int>(*v.split)] += 1;
    }
  }
  // Largest first, then by key: the small units placed last bring every share close to its target.
  std::sort(fresh_units.begin(), fresh_units.end(), [&](const auto& a, const auto& b) {
    const size_t sa = members.at(a.second).size(), sb = members.at(b.second).size();
    return sa != sb ? sa > sb : a.first < b.first;
  });
  return fresh_units;
}

// New units, largest first: the official split of their members, else the split furthest below its
// target share over the strata (source x label) the unit's videos belong to: each stratum's deficit, as a
// share of that stratum's videos, weighted by how many of its videos the unit brings. A unit holding
// several sources (a person in two of them) so keeps every source's shares near their targets.
void place_new(const PlanInput& in, const Members& members, const std::vector<std::pair<std::string, size_t>>& fresh,
               Counts& counts, Plan& plan) {
  const std::array<double, 3> target{1 - in.test_fraction - in.val_fraction, in.val_fraction, in.test_fraction};
  std::map<std::string, double> totals; // every planned video of the stratum, placed or not
  for (const auto& [root, list] : members)
    for (size_t i : list) totals[stratum_of(in.videos[i])] += 1;
  for (const auto& [key, root] : fresh) {
    const auto& list = members.at(root);
    std::optional<Split> official;
    for (size_t i : list)
      if (in.videos[i].official && (!official || *in.videos[i].official > *official)) official = in.videos[i].official;
    std::map<std::string, double> brings;
    for (size_t i : list) brings[stratum_of(in.videos[i])] += 1;
    Split chosen = Split::train;
    if (official) {
      chosen = *official; // members that disagree: the most held-out side (test > val > train) wins
    } else {
      double best = -1e300;
      for (Split s : {Split::train, Split::val, Split::test}) {
        const int k = static_cast<int>(s);
        if (target[k] <= 0) continue;
        double deficit = 0;
        for (const auto& [stratum, n] : brings)
          deficit += n * (target[k] - counts[stratum][k] / totals.at(stratum));
        if (deficit > best + 1e-9) best = deficit, chosen = s;
      }
    }
    for (const auto& [stratum, n] : brings) counts[stratum][static_cast<int>(chosen)] += n;
    for (size_t i : list) {
      plan.videos[i].split = chosen;
      plan.videos[i].decision = official ? Decision::official : Decision::rule;
    }
  }
}

std::vector<UnitSize> unit_sizes(const PlanInput& in, const Pass& pass, const Members& members, const Plan& plan) {
  std::vector<std::set<int>> people(in.videos.size());
  for (size_t t = 0; t < in.tracks.size(); ++t)
    if (pass.track_group[t] >= 0) people[in.tracks[t].video].insert(pass.track_group[t]);
  std::vector<UnitSize> out;
  for (const auto& [root, list] : members) {
    std::set<int> groups;
    std::set<std::string> sources;
    for (size_t i : list) {
      groups.insert(people[i].begin(), people[i].end());
      sources.insert(in.videos[i].source);
    }
    out.push_back({static_cast<int>(list.size()), static_cast<int>(groups.size()), static_cast<int>(sources.size()),
                   plan.videos[list.front()].group});
  }
  std::sort(out.begin(), out.end(), [](const UnitSize& a, const UnitSize& b) {
    return a.videos != b.videos ? a.videos > b.videos : a.group < b.group;
  });
  return out;
}

} // namespace

Plan plan_splits(const PlanInput& in) {
  (void)bucket_split("", in.test_fraction, in.val_fraction); // validates the fractions
  const size_t n = in.videos.size();
  Plan plan;
  plan.videos.resize(n);
  std::vector<char> active(n);
  for (size_t i = 0; i < n; ++i) {
    active[i] = !in.videos[i].excluded;
    if (!active[i]) plan.videos[i].decision = Decision::excluded;
  }
  // Regroup until no new video bridges: removing a bridge can reveal another (the forest of one pass
  // shows one path per unit, not every edge).
  Pass pass;
  for (;;) {
    ++plan.rounds;
    pass = group_pass(in, active);
    plan.identity_groups = pass.identity_groups;
    if (quarantine_large_bridges(in, pass, active, plan) > 0) continue;
    if (quarantine_percolating_fakes(in, pass, active, plan) > 0) continue;
    if (quarantine_bridges(in, pass.edges, active, plan) == 0) break;
  }

  DisjointSets units(n);
  for (const auto& [a, b] : pass.edges) units.unite(a, b);
  Members members;
  for (size_t i = 0; i < n; ++i)
    if (active[i]) members[units.find(i)].push_back(i);
  plan.units = static_cast<int>(members.size());
  Counts counts;
  const auto fresh = place_assigned(in, members, counts, plan);
  place_new(in, members, fresh, counts, plan);
  plan.unit_sizes = unit_sizes(in, pass, members, plan);
  return plan;
}

} // namespace curator::dataset
