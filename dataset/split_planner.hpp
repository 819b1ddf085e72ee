#pragma once
//! Split planning: the pure core of split assignment, with no database (dataset_store.hpp feeds it and
//! applies its plan).
//!
//! Videos are joined into split units by three kinds of edge: tracks of one person (identity
//! grouping), declared relations (a fake and the videos it derives from) and near-duplicate footage.
//! Every video of a unit gets the same split, so no person, original or footage is on two sides.
//! Rules, in order:
//!  - a split once assigned never changes (the caller passes it in `VideoNode::assigned`);
//!  - an unassigned video in a unit whose assigned videos share one split inherits it;
//!  - unassigned videos that would join units sitting in different splits are quarantined (held back,
//!    with the reason), never assigned: the planner regroups without them until no unit bridges;
//!  - an unassigned video that joins two large identity groups (each with at least `bridge_min_videos`
//!    other videos) through its own faces or its near-duplicate footage is quarantined too, unless it
//!    declares what it derives from: one face swap between two people with many videos, or one interview
//!    of two of them, must not turn both into one unit that starves the test split;
//!  - an unassigned fake whose edges join several units (a face swap of two people, a blend of many) is
//!    quarantined when the unit it would make holds more than `max_unit_share` of the active videos
//!    (and at least 10): swaps between the same few people otherwise chain everyone into one unit that
//!    the test split cannot take (the people stay apart, as DFDC kept its actors disjoint); fakes are
//!    visited in key order, each joining what it may. It re-enters once its units share one split;
//!  - a new unit takes the official split of its members when one was imported (FF++ json), else the
//!    split furthest below its target share over the strata (source x claimed label) of the unit's
//!    videos, each as a share of its stratum's planned videos, weighted by the videos the unit brings.
//!    New units are visited largest first, then in order of their key (the smallest content hash
//!    among members), so the plan depends on the data, never on the order rows were inserted.
//! Deterministic; pure function; thread-safe.
#include "dataset/identity_grouping.hpp"
#include "dataset/split.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace curator::dataset {

struct VideoNode {
  std::string key;     ///< stable content key (the video's sha256): orders units and names groups
  std::string source;  ///< ffpp, dfdc, celebdf, contributor, ...
  std::string label;   ///< claimed label: real, fake or unknown
  std::optional<Split> official; ///< split from an imported official list
  std::optional<Split> assigned; ///< split fixed by an earlier plan
  bool excluded = false;         ///< an admin took it out of the dataset: no edges, no split
};

struct TrackNode {
  uint32_t video = 0; ///< index into the videos
  Vec128 embedding{};
  int faces = 1;      ///< faces the identity vector averages (its noise: see identity_grouping.hpp)
};

struct PlanInput {
  std::vector<VideoNode> videos;
  std::vector<TrackNode> tracks; ///< identity vectors (unit length; see ingest/faces/identity.hpp)
  std::vector<std::pair<uint32_t, uint32_t>> links;      ///< video index pairs: declared relations
  std::vector<std::pair<uint32_t, uint32_t>> duplicates; ///< video index pairs: near-duplicate footage
  GroupingOptions grouping;  // dataset.group_threshold, dataset.group_linkage
  int bridge_min_videos = 3; // dataset.bridge_min_videos
  double max_unit_share = 0.1; // dataset.max_unit_share
  double test_fraction = 1.0 / 6;
  double val_fraction = 0.1;
};

enum class Decision { kept, inherited, official, rule, quarantined, excluded, conflict };
const char* decision_name(Decision d);

struct VideoPlan {
  Decision decision = Decision::kept;
  std::optional<Split> split; ///< empty when quarantined or excluded
  std::string group;          ///< "g-" + the smallest member key (first 16 hex)
  std::string reason;         ///< why a video was quarantined or sits in a conflicting unit
};

/// One split unit: how many videos, people (identity groups) and sources it holds.
struct UnitSize {
  int videos = 0, people = 0, sources = 0;
  std::string group;
};

struct Plan {
  std::vector<VideoPlan> videos; ///< one per input video, same order
  int units = 0;                 ///< split units (connected components) among planned videos
  int identity_groups = 0;       ///< identity groups among tracks of planned videos
  int rounds = 0;                ///< grouping passes (one more per round of quarantine)
  int conflicts = 0;             ///< units whose earlier assignments already disagree (see audit)
  std::vector<UnitSize> unit_sizes; ///< every unit, largest first
};

Plan plan_splits(const PlanInput& input);

} // namespace curator::dataset
