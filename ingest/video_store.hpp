#pragma once
//! What ingest found in a video: its face tracks (identity vectors) and faces. Thread-safe (each call
//! uses its own connection).
#include "core/database.hpp"
#include "ingest/faces/face_types.hpp"

#include <cstdint>
#include <vector>

namespace curator::ingest {

struct TrackRow {
  int64_t video = 0;
  int track = 0;
  int faces = 0;
  faces::Embedding identity{}; ///< the track's identity vector (see ingest/faces/identity.hpp)
};

class VideoStore {
public:
  explicit VideoStore(core::Database& db) : db_(db) {}

  /// The face tracks of one ingested video, in track order (none for unknown or unfinished videos).
  std::vector<TrackRow> tracks(int64_t video);

private:
  core::Database& db_;
};

} // namespace curator::ingest
