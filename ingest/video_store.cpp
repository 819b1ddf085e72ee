#include "ingest/video_store.hpp"

#include "ingest/video_checks.hpp"

#include <SQLiteCpp/Statement.h>

#include <cstring>

namespace curator::ingest {

void VideoStore::replace(SQLite::Database& conn, const IngestedVideo& v) {
  for (const char* table : {"faces", "tracks", "frames"}) {
    SQLite::Statement del(conn, std::string("DELETE FROM ") + table + " WHERE video_id = ?");
    del.bind(1, v.video);
    del.exec();
  }
  SQLite::Statement dv(conn, "DELETE FROM videos WHERE submission_id = ?");
  dv.bind(1, v.video);
  dv.exec();

  SQLite::Statement q(conn, "INSERT INTO videos(submission_id, width, height, fps, frame_count, duration_s, codec, phash,"
                            " face_prints) VALUES (?,?,?,?,?,?,?,?,?)");
  const auto phash = hash_bytes(v.frame_hashes);
  const auto prints = face_print_bytes(v.face_prints);
  q.bind(1, v.video), q.bind(2, v.info.width), q.bind(3, v.info.height), q.bind(4, v.info.fps);
  q.bind(5, v.info.frame_count), q.bind(6, v.info.duration_s), q.bind(7, v.info.codec);
  q.bind(8, phash.data(), static_cast<int>(phash.size()));
  q.bind(9, prints.data(), static_cast<int>(prints.size()));
  q.exec();

  SQLite::Statement frame(conn, "INSERT INTO frames(video_id, frame_index, time_s, face_count) VALUES (?,?,?,?)");
  for (const auto& f : v.frames) {
    frame.bind(1, v.video), frame.bind(2, f.index), frame.bind(3, f.time_s), frame.bind(4, f.faces);
    frame.exec();
    frame.reset();
  }
  SQLite::Statement track(conn, "INSERT INTO tracks(video_id, track_index, face_count, embedding, thumbnail) "
                                "VALUES (?,?,?,?,?)");
  for (const auto& t : v.tracks) {
    track.bind(1, v.video), track.bind(2, t.track), track.bind(3, t.faces);
    track.bind(4, t.identity.data(), static_cast<int>(sizeof(t.identity))), track.bind(5, t.thumbnail);
    track.exec();
    track.reset();
  }
  SQLite::Statement face(conn, "INSERT INTO faces(video_id, track_index, frame_index, x, y, w, h, score, landmarks, "
                               "embedding, small, blurred, sharpness, crop_path) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  for (const auto& r : v.faces) {
    const auto& b = r.face.box;
    face.bind(1, v.video), face.bind(2, r.track), face.bind(3, r.frame_index);
    face.bind(4, b.x), face.bind(5, b.y), face.bind(6, b.width), face.bind(7, b.height), face.bind(8, b.score);
    face.bind(9, r.face.landmarks.data(), static_cast<int>(sizeof(r.face.landmarks)));
    face.bind(10, r.face.embedding->data(), static_cast<int>(sizeof(*r.face.embedding)));
    face.bind(11, r.small ? 1 : 0), face.bind(12, r.blurred ? 1 : 0), face.bind(13, r.sharpness);
    face.bind(14, r.crop_path);
    face.exec();
    face.reset();
  }
}

std::optional<VideoInfo> VideoStore::info(int64_t video) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "SELECT width, height, fps, frame_count, duration_s, codec FROM videos WHERE submission_id = ?");
  q.bind(1, video);
  if (!q.executeStep()) return std::nullopt;
  VideoInfo info;
  info.width = q.getColumn("width").getInt();
  info.height = q.getColumn("height").getInt();
  info.fps = q.getColumn("fps").getDouble();
  info.frame_count = q.getColumn("frame_count").getInt64();
  info.duration_s = q.getColumn("duration_s").getDouble();
  info.codec = q.getColumn("codec").getString();
  return info;
}

int64_t VideoStore::frame_count(int64_t video) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "SELECT COUNT(*) FROM frames WHERE video_id = ?");
  q.bind(1, video);
  q.executeStep();
  return q.getColumn(0).getInt64();
}

std::vector<TrackRow> VideoStore::tracks(int64_t video) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "SELECT video_id, track_index, face_count, embedding, COALESCE(thumbnail, '') AS thumbnail "
                             "FROM tracks WHERE video_id = ? ORDER BY track_index");
  q.bind(1, video);
  std::vector<TrackRow> out;
  while (q.executeStep()) {
    TrackRow row;
    row.video = q.getColumn("video_id").getInt64();
    row.track = q.getColumn("track_index").getInt();
    row.faces = q.getColumn("face_count").getInt();
    row.thumbnail = q.getColumn("thumbnail").getString();
    const auto blob = q.getColumn("embedding");
    if (blob.getBytes() != static_cast<int>(sizeof(row.identity))) continue; // not a stored identity vector
    std::memcpy(row.identity.data(), blob.getBlob(), sizeof(row.identity));
    out.push_back(row);
  }
  return out;
}

std::optional<std::string> VideoStore::crop_path(int64_t video, int track, int frame) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "SELECT crop_path FROM faces WHERE video_id = ? AND track_index = ? AND frame_index = ?");
  q.bind(1, video), q.bind(2, track), q.bind(3, frame);
  if (!q.executeStep()) return std::nullopt;
  return q.getColumn(0).getString();
}

std::vector<FootageRow> VideoStore::footage(int64_t except, const std::string& label, const std::string& method) {
  auto conn = db_.connect();
  SQLite::Statement q(*conn, "SELECT v.submission_id, v.phash, v.face_prints FROM videos v JOIN submissions s ON s.id = "
                             "v.submission_id WHERE s.state = 'done' AND v.submission_id != ? AND s.claimed_label = ? "
                             "AND COALESCE(s.method, '') = ?");
  q.bind(1, except), q.bind(2, label), q.bind(3, method);
  std::vector<FootageRow> out;
  while (q.executeStep()) {
    FootageRow row;
    row.video = q.getColumn("submission_id").getInt64();
    const auto frames = q.getColumn("phash");
    row.frame_hashes = hash_values(frames.getBlob(), frames.getBytes());
    const auto faces = q.getColumn("face_prints");
    if (!faces.isNull()) row.face_prints = face_print_values(faces.getBlob(), faces.getBytes());
    out.push_back(std::move(row));
  }
  return out;
}

} // namespace curator::ingest
