#pragma once
//! Which faces of a fake video were changed. A fake that declares what it derives from (FF++ pairs, `curator
//! synth`, `--derived-from`) often changes one face and leaves the others as they were (the second person in
//! a frame, the real panel of a side-by-side grid): labelling those "fake" teaches the detector that real
//! faces are fake. A face of such a fake is unchanged when its original shows a face at the same place in
//! the same frame with the same pixels up to codec noise. Fakes without an original in the snapshot keep
//! every face (the whole fake is the label). Pure function of the items and the crop files; thread-safe.
#include "dataset/snapshot.hpp"

#include <filesystem>
#include <vector>

namespace curator::retrain {

struct ChangedFacesOptions {
  double same_place = 0.06;   ///< landmark centres closer than this share of the crop are the same face
  int noise_level = 12;       ///< a pixel differs when its grey levels differ by more than this (codec noise)
  double changed_share = 0.02; ///< a face is changed when more than this share of its face region differs
};

/// For each item: false when it is a face of a fake that its original shows unchanged (leave it out of
/// the positives), else true. Crops that cannot be read count as changed.
std::vector<bool> changed_faces(const std::vector<dataset::ManifestItem>& items, const std::filesystem::path& data_root,
                                const ChangedFacesOptions& options = {});

} // namespace curator::retrain
