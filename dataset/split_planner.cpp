#include "dataset/split_planner.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <array>
#include <map>

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

// Video-level edges of one pass: identity grouping over the active videos' tracks (only pairs between
// different videos matter: a video is one node) plus the declared links between active videos.
Edges video_edges(const PlanInput& in, const std::vector<char>& active, int& identity_groups) {
  std::vector<Vec128> embeddings;
  std::vector<uint32_t> owner;
  for (const auto& t : in.tracks)
    if (t.video < in.videos.size() && active[t.video]) {
      embeddings.push_back(t.embedding);
      owner.push_back(t.video);
    }
  const auto grouping = group_identities(embeddings, in.threshold);
  identity_groups = grouping.groups;
  Edges out;
  for (const auto& [a, b] : grouping.edges)
    if (owner[a] != owner[b]) out.emplace_back(owner[a], owner[b]);
  for (const auto& [a, b] : in.links)
    if (a < in.videos.size() && b < in.videos.size() && a != b && active[a] && active[b]) out.emplace_back(a, b);
  return out;
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

std::string stratum_of(const PlanInput& in, const std::vector<size_t>& members) {
  std::map<std::string, int> sources;
  bool real = false, fake = false;
  for (size_t i : members) {
    ++sources[in.videos[i].source];
    real |= in.videos[i].label == "real";
    fake |= in.videos[i].label == "fake";
  }
  std::string main_source;
  int best = -1;
  for (const auto& [source, count] : sources) // map order: ties go to the smallest name
    if (count > best) best = count, main_source = source;
  return main_source + "|" + (real && fake ? "mixed" : real ? "real" : fake ? "fake" : "unknown");
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
  Edges edges;
  for (;;) {
    ++plan.rounds;
    edges = video_edges(in, active, plan.identity_groups);
    if (quarantine_bridges(in, edges, active, plan) == 0) break;
  }

  DisjointSets units(n);
  for (const auto& [a, b] : edges) units.unite(a, b);
  std::map<size_t, std::vector<size_t>> members; // root -> active members, ascending
  for (size_t i = 0; i < n; ++i)
    if (active[i]) members[units.find(i)].push_back(i);
  plan.units = static_cast<int>(members.size());

  const std::array<double, 3> target{1 - in.test_fraction - in.val_fraction, in.val_fraction, in.test_fraction};
  std::map<std::string, std::array<double, 3>> counts; // stratum -> videos per split
  std::vector<std::pair<std::string, size_t>> fresh_units; // (unit key, root)
  for (const auto& [root, list] : members) {
    std::string key = in.videos[list.front()].key;
    uint8_t mask = 0;
    for (size_t i : list) {
      key = std::min(key, in.videos[i].key);
      if (in.videos[i].assigned) mask |= bit(*in.videos[i].assigned);
    }
    const std::string group = "g-" + key.substr(0, 16);
    for (size_t i : list) plan.videos[i].group = group;
    if (mask == 0) {
      fresh_units.emplace_back(key, root);
      continue;
    }
    if (popcount(mask) >= 2) ++plan.conflicts;
    auto& count = counts[stratum_of(in, list)];
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
      count[static_cast<int>(*v.split)] += 1;
    }
  }

  std::sort(fresh_units.begin(), fresh_units.end());
  for (const auto& [key, root] : fresh_units) {
    const auto& list = members[root];
    std::optional<Split> official;
    for (size_t i : list)
      if (in.videos[i].official && (!official || *in.videos[i].official > *official)) official = in.videos[i].official;
    auto& count = counts[stratum_of(in, list)];
    Split chosen = Split::train;
    if (official) {
      chosen = *official; // members that disagree: the most held-out side (test > val > train) wins
    } else {
      const double total = count[0] + count[1] + count[2] + static_cast<double>(list.size());
      double best = -1e300;
      for (Split s : {Split::train, Split::val, Split::test}) {
        const double deficit = target[static_cast<int>(s)] * total - count[static_cast<int>(s)];
        if (target[static_cast<int>(s)] > 0 && deficit > best + 1e-9) best = deficit, chosen = s;
      }
    }
    count[static_cast<int>(chosen)] += static_cast<double>(list.size());
    for (size_t i : list) {
      plan.videos[i].split = chosen;
      plan.videos[i].decision = official ? Decision::official : Decision::rule;
    }
  }
  return plan;
}

} // namespace curator::dataset
