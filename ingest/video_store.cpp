#include "ingest/video_store.hpp"

#include <SQLiteCpp/Statement.h>

#include <cstring>

namespace curator::ingest {

std::vector<TrackRow> VideoStore::tracks(int64_t video) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "SELECT video_id, track_index, face_count, embedding FROM tracks WHERE video_id = ? "
                             "ORDER BY track_index");
  q.bind(1, video);
  std::vector<TrackRow> out;
  while (q.executeStep()) {
    TrackRow row;
    row.video = q.getColumn("video_id").getInt64();
    row.track = q.getColumn("track_index").getInt();
    row.faces = q.getColumn("face_count").getInt();
    const auto blob = q.getColumn("embedding");
    if (blob.getBytes() != static_cast<int>(sizeof(row.identity))) continue;
    std::memcpy(row.identity.data(), blob.getBlob(), sizeof(row.identity));
    out.push_back(row);
  }
  return out;
}

} // namespace curator::ingest
