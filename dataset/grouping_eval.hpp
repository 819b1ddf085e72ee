#pragma once
//! How well identity grouping separates people on a labelled sample: pairwise precision, recall and F1
//! at the face level (every face of an item's main track is labelled with the item's person) and at the
//! video level (items grouped into units as the split planner groups videos: items whose tracks share
//! an identity group are one unit), the number of units, the largest unit and the share of units that
//! hold more than one person. Pure; thread-safe.
#include "dataset/identity_grouping.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace curator::dataset {

struct EvalTrack {
  Vec128 identity{}; ///< unit-length identity vector
  int faces = 1;
};

/// One labelled photo or video and the face tracks found in it. The main track (most faces) is the
/// labelled person; other tracks take part in grouping (they can join units) but carry no label.
struct EvalItem {
  std::string path, identity;
  std::vector<EvalTrack> tracks;
};

/// Pairwise scores. With no pair to judge (no pair grouped together, or no two items of one person),
/// precision or recall is NaN: nothing was measured, which is not a perfect score.
struct PairScores {
  double precision = 0, recall = 0, f1 = 0;
  double same_pairs = 0, grouped_pairs = 0, correct_pairs = 0;
  nlohmann::json to_json() const; ///< NaN as null
};

struct GroupingReport {
  GroupingOptions options;
  int items = 0, faces = 0, people = 0;
  int without_face = 0; ///< labelled items with no track: left out of every score
  PairScores face, video;
  int groups = 0;                  ///< units among the items
  int largest_group = 0;           ///< items in the largest unit
  int largest_group_people = 0;    ///< people in it
  double multi_person_share = 0;   ///< units holding more than one person / units
  nlohmann::json to_json() const;
  std::string to_text() const;
};

GroupingReport evaluate_grouping(const std::vector<EvalItem>& items, const GroupingOptions& options);

/// Which half of the identities a label falls in (0 or 1), from its SHA-256: to choose settings on one
/// half and report on the other.
int identity_half(const std::string& identity);

} // namespace curator::dataset
