#pragma once
//! What ingest found in a video: the video's facts, its sampled frames, face tracks (identity vectors)
//! and faces. The only code that reads or writes the videos, frames, tracks and faces tables (other
//! modules read them through this store or in their own read-only joins). Thread-safe (each call uses
//! its own connection, or the caller's inside its transaction).
#include "core/database.hpp"
#include "ingest/face_prints.hpp"
#include "ingest/faces/face_types.hpp"
#include "ingest/video_probe.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace curator::ingest {

struct TrackRow {
  int64_t video = 0;
  int track = 0;
  int faces = 0;
  faces::Embedding identity{}; ///< the track's identity vector (see ingest/faces/identity.hpp)
  std::string thumbnail;       ///< its first crop, relative to the data folder
};

/// What a finished video looks like to the duplicate check: per sampled frame, the whole frame's hash
/// and its largest face's print (no prints for videos ingested before they were kept).
struct FootageRow {
  int64_t video = 0;
  std::vector<uint64_t> frame_hashes;
  FacePrints face_prints;
};

/// One sampled frame.
struct FrameRow {
  int64_t index = 0; ///< in the video
  double time_s = 0;
  int faces = 0;
};

/// One face found on a sampled frame, with its stored crop.
struct FaceRow {
  int track = 0;
  int64_t frame_index = 0;
  faces::DetectedFace face; ///< with landmarks and embedding
  std::string crop_path;    ///< relative to the data folder
  double sharpness = 0;
  bool small = false, blurred = false;
};

/// Everything ingest keeps about one video (the submission's id is the video's).
struct IngestedVideo {
  int64_t video = 0;
  VideoInfo info;
  std::vector<uint64_t> frame_hashes;
  FacePrints face_prints;
  std::vector<FrameRow> frames;
  std::vector<TrackRow> tracks;
  std::vector<FaceRow> faces;
};

class VideoStore {
public:
  explicit VideoStore(core::Database& db) : db_(db) {}

  /// Replaces whatever is stored for `v.video` (an earlier, interrupted attempt) inside the caller's
  /// write transaction.
  void replace(SQLite::Database& conn, const IngestedVideo& v);

  /// The video's facts, if it was ingested.
  std::optional<VideoInfo> info(int64_t video);
  /// How many frames were sampled from it.
  int64_t frame_count(int64_t video);
  /// The face tracks of one ingested video, in track order (none for unknown or unfinished videos; a
  /// track without a readable identity vector is left out).
  std::vector<TrackRow> tracks(int64_t video);
  /// The stored crop of one face (relative to the data folder); nothing when there is no such face.
  std::optional<std::string> crop_path(int64_t video, int track, int frame);
  /// Finished videos other than `except` with this claimed label and method.
  std::vector<FootageRow> footage(int64_t except, const std::string& label, const std::string& method);

private:
  core::Database& db_;
};

} // namespace curator::ingest
