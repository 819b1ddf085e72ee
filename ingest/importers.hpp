#pragma once
//! Bulk import of public datasets in their own layouts. Each scanner lists the videos with what the
//! layout says about them (label, source, method, derived-from relations, official split); it reads only
//! file names and metadata files, never the videos. Untrusted input: a malformed metadata file raises
//! curator::InvalidInput naming it. Pure functions; thread-safe.
#include "ingest/submission.hpp"

#include <filesystem>
#include <vector>

namespace curator::ingest {

struct ImportItem {
  std::filesystem::path file;
  SubmissionMeta meta;
};

/// FaceForensics++: original_sequences/youtube/<c>/videos/NNN.mp4 (real), manipulated_sequences/<Method>/
/// <c>/videos/TTT_SSS.mp4 (fake, derived from TTT and SSS); splits/{train,val,test}.json when present.
std::vector<ImportItem> scan_ffpp(const std::filesystem::path& root);
/// DFDC: every metadata.json under root ({"x.mp4": {"label": "FAKE", "original": "y.mp4", "split": ...}}).
std::vector<ImportItem> scan_dfdc(const std::filesystem::path& root);
/// Celeb-DF: Celeb-real/, YouTube-real/ (real), Celeb-synthesis/ (fake, idA_idB_N from idA_N);
/// List_of_testing_videos.txt marks the official test set.
std::vector<ImportItem> scan_celebdf(const std::filesystem::path& root);
/// A plain folder with real/ and fake/ subfolders (any depth); `source` names where it came from.
std::vector<ImportItem> scan_folder(const std::filesystem::path& root, const std::string& source);

/// Video files under `path` (itself if it is a file), sorted, by extension.
std::vector<std::filesystem::path> find_videos(const std::filesystem::path& path);

} // namespace curator::ingest
