#include "tests/support/dataset_fixture.hpp"

#include "core/migrations.hpp"

#include <SQLiteCpp/Statement.h>

#include <fstream>

namespace curator::test {

DatasetFixture::DatasetFixture()
    : tmp("curator-dataset"), dir(tmp.path() / "var"), db((dir.create(), dir.database()), 5000) {
  auto conn = db.connect();
  core::migrate(*conn);
}

dataset::Vec128 DatasetFixture::face_of(int person) {
  std::normal_distribution<float> centre(0, 0.1f), noise(0, 0.012f);
  while (static_cast<int>(people_.size()) <= person) {
    dataset::Vec128 c;
    for (auto& x : c) x = centre(rng_);
    people_.push_back(c);
  }
  dataset::Vec128 p = people_[person];
  for (auto& x : p) x += noise(rng_);
  return p;
}

int64_t DatasetFixture::add(const FakeVideo& v) {
  auto conn = db.connect();
  const int64_t now = clock.now_ms();
  SQLite::Statement s(*conn, "INSERT INTO submissions(state, origin, original_name, blob_sha256, claimed_label, source, "
                             "trusted, external_id, official_split, created_ms, updated_ms) VALUES ('done', 'path', ?, ?, "
                             "?, ?, 0, ?, ?, ?, ?)");
  s.bind(1, v.key + ".mp4"), s.bind(2, v.key), s.bind(3, v.label), s.bind(4, v.source);
  if (v.external_id) s.bind(5, *v.external_id);
  else s.bind(5);
  if (v.official_split) s.bind(6, *v.official_split);
  else s.bind(6);
  s.bind(7, now), s.bind(8, now);
  s.exec();
  const int64_t id = conn->getLastInsertRowid();
  for (const auto& d : v.derived_from) {
    SQLite::Statement r(*conn, "INSERT INTO submission_relations(submission_id, derived_from) VALUES (?, ?)");
    r.bind(1, id), r.bind(2, d);
    r.exec();
  }
  std::vector<uint64_t> hashes = v.frame_hashes;
  if (hashes.empty()) {
    std::uniform_int_distribution<uint64_t> any;
    for (int i = 0; i < 8; ++i) hashes.push_back(any(rng_));
  }
  SQLite::Statement vid(*conn, "INSERT INTO videos(submission_id, width, height, fps, frame_count, duration_s, codec, "
                               "phash) VALUES (?, 640, 480, 25, 250, 10, 'h264', ?)");
  vid.bind(1, id), vid.bind(2, hashes.data(), static_cast<int>(hashes.size() * 8));
  vid.exec();
  std::filesystem::create_directories(dir.root() / "faces" / std::to_string(id));
  for (int t = 0; t < static_cast<int>(v.tracks.size()); ++t) {
    const std::string thumb = "faces/" + std::to_string(id) + "/t" + std::to_string(t) + "_f0.jpg";
    SQLite::Statement q(*conn, "INSERT INTO tracks(video_id, track_index, face_count, embedding, thumbnail) "
                               "VALUES (?, ?, ?, ?, ?)");
    q.bind(1, id), q.bind(2, t), q.bind(3, v.faces_per_track), q.bind(4, v.tracks[t].data(), 128 * 4), q.bind(5, thumb);
    q.exec();
    for (int f = 0; f < v.faces_per_track; ++f) {
      SQLite::Statement fr(*conn, "INSERT OR IGNORE INTO frames(video_id, frame_index, time_s, face_count) VALUES (?, ?, ?, 1)");
      fr.bind(1, id), fr.bind(2, f * 10), fr.bind(3, f * 0.4);
      fr.exec();
      const std::string crop = "faces/" + std::to_string(id) + "/t" + std::to_string(t) + "_f" + std::to_string(f * 10) + ".jpg";
      std::ofstream(dir.root() / crop) << "crop of " << v.key << " track " << t << " frame " << f;
      const std::vector<float> landmarks(136, 0.f);
      SQLite::Statement fa(*conn, "INSERT INTO faces(video_id, track_index, frame_index, x, y, w, h, score, landmarks, "
                                  "embedding, small, blurred, sharpness, crop_path) VALUES (?, ?, ?, 10, 10, 100, 100, "
                                  "0.9, ?, ?, 0, 0, 50, ?)");
      fa.bind(1, id), fa.bind(2, t), fa.bind(3, f * 10), fa.bind(4, landmarks.data(), 136 * 4);
      fa.bind(5, v.tracks[t].data(), 128 * 4), fa.bind(6, crop);
      fa.exec();
    }
  }
  SQLite::Statement r(*conn, "INSERT INTO review_items(submission_id, state, label, decided_by, created_ms, updated_ms) "
                             "VALUES (?, ?, ?, ?, ?, ?)");
  r.bind(1, id), r.bind(2, v.confirmed ? "confirmed" : "pending");
  if (v.confirmed && v.label != "unknown") r.bind(3, v.label);
  else r.bind(3);
  r.bind(4, "test"), r.bind(5, now), r.bind(6, now);
  r.exec();
  return id;
}

} // namespace curator::test
