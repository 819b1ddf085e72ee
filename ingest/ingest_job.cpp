// The ingest job: fetch (URL submissions), exact dedupe, validate, sample frames, near-duplicate and
// still-image checks, faces, tracks, crops, and one transaction that replaces whatever an earlier,
// interrupted attempt wrote.
#include "ingest/ingest_service.hpp"

#include "core/error.hpp"
#include "core/logging.hpp"
#include "ingest/faces/chips.hpp"
#include "ingest/faces/identity.hpp"
#include "ingest/frame_sampler.hpp"

#include <SQLiteCpp/Statement.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include <cstring>

namespace curator::ingest {

namespace {

struct FaceRow {
  int frame_pos;
  int track;
  faces::DetectedFace face;
  std::string crop_path; // relative to the data folder
  double sharpness;
  bool small, blurred;
};

double laplacian_variance(const cv::Mat& rgb) {
  cv::Mat grey, lap;
  cv::cvtColor(rgb, grey, cv::COLOR_RGB2GRAY);
  cv::Laplacian(grey, lap, CV_64F);
  cv::Scalar mean, stddev;
  cv::meanStdDev(lap, mean, stddev);
  return stddev[0] * stddev[0];
}

} // namespace

nlohmann::json IngestService::run_job(int64_t id, core::JobContext& ctx, bool last_attempt) {
  auto log = core::logger("ingest");
  auto sub = submissions_.get(id);
  if (!sub) throw core::PermanentJobError("no submission " + std::to_string(id));
  if (sub->state == "done" || sub->state == "rejected" || sub->state == "duplicate")
    return {{"state", sub->state}, {"note", "already finished"}};
  submissions_.set_state(id, "processing", std::nullopt, clock_.now_ms());
  try {
    // 1. A URL submission is downloaded first.
    if (!sub->blob_sha256 && sub->url) {
      core::BlobRef blob;
      try {
        blob = fetch_url(*sub->url, blobs_, settings_.fetch);
      } catch (const InvalidInput& e) {
        finish(id, "rejected", e.what());
        return {{"state", "rejected"}, {"reason", e.what()}};
      }
      auto conn = db_.connect();
      SQLite::Statement q(*conn, "UPDATE submissions SET blob_sha256 = ?, size_bytes = ? WHERE id = ?");
      q.bind(1, blob.sha256);
      q.bind(2, static_cast<int64_t>(blob.size));
      q.bind(3, id);
      q.exec();
      sub->blob_sha256 = blob.sha256;
    }
    if (!sub->blob_sha256) throw core::PermanentJobError("submission " + std::to_string(id) + " has no content");
    // 2. The same bytes were submitted before.
    {
      auto conn = db_.connect();
      SQLite::Statement q(*conn, "SELECT id FROM submissions WHERE blob_sha256 = ? AND id < ? AND state NOT IN "
                                 "('rejected', 'failed') ORDER BY id LIMIT 1");
      q.bind(1, *sub->blob_sha256);
      q.bind(2, id);
      if (q.executeStep()) {
        const int64_t of = q.getColumn(0).getInt64();
        finish(id, "duplicate", "the same file was submitted as #" + std::to_string(of), of);
        return {{"state", "duplicate"}, {"duplicate_of", of}};
      }
    }
    // 3. Validation.
    const auto video_path = blobs_.path_of(*sub->blob_sha256);
    VideoInfo info;
    try {
      info = probe_video(video_path);
    } catch (const InvalidInput& e) {
      finish(id, "rejected", std::string("not a usable video: ") + e.what());
      return {{"state", "rejected"}};
    }
    if (auto why = check_video(info, settings_.limits)) {
      finish(id, "rejected", *why);
      return {{"state", "rejected"}, {"reason", *why}};
    }
    // 4. Frames.
    const auto indices = sample_indices(info.frame_count, settings_.sample_frames, settings_.sample_every);
    auto frames = sample_frames(video_path, indices, info.fps);
    if (frames.size() < 2) {
      finish(id, "rejected", "only " + std::to_string(frames.size()) + " frames could be decoded");
      return {{"state", "rejected"}};
    }
    std::vector<uint64_t> hashes;
    std::vector<cv::Mat> thumbnails;
    for (const auto& f : frames) {
      hashes.push_back(dhash(f.rgb));
      thumbnails.push_back(motion_thumbnail(f.rgb));
    }
    if (looks_static(thumbnails)) {
      finish(id, "rejected", "every sampled frame is the same picture: a still image, not a video");
      return {{"state", "rejected"}};
    }
    // 5. The same footage re-encoded or resized. A face swap keeps the rest of the frame, so a fake
    //    looks like its source footage to a whole-frame hash: only videos with the same claimed label
    //    and manipulation method can be copies of each other (FF++ c23 vs c40 are; Deepfakes/000_003 vs
    //    FaceSwap/000_003 and a fake vs its original are not).
    {
      auto conn = db_.connect();
      SQLite::Statement q(*conn, "SELECT v.submission_id, v.phash FROM videos v JOIN submissions s ON s.id = "
                                 "v.submission_id WHERE s.state = 'done' AND v.submission_id != ? AND "
                                 "s.claimed_label = ? AND COALESCE(s.method, '') = ?");
      q.bind(1, id);
      q.bind(2, label_name(sub->meta.label));
      q.bind(3, sub->meta.method);
      while (q.executeStep()) {
        const auto other = hash_values(q.getColumn(1).getBlob(), q.getColumn(1).getBytes());
        if (mean_hash_distance(hashes, other) <= settings_.near_duplicate_bits) {
          const int64_t of = q.getColumn(0).getInt64();
          finish(id, "duplicate", "the same footage (re-encoded or resized) as #" + std::to_string(of), of);
          return {{"state", "duplicate"}, {"duplicate_of", of}};
        }
      }
    }
    // 6. Faces on every sampled frame.
    const auto& pipeline = faces_();
    std::vector<std::vector<faces::DetectedFace>> found;
    submissions_.set_progress(id, 0, static_cast<int64_t>(frames.size()));
    for (size_t f = 0; f < frames.size(); ++f) {
      ctx.check_cancelled();
      found.push_back(pipeline.analyze(frames[f].rgb, settings_.min_score, true));
      submissions_.set_progress(id, static_cast<int64_t>(f + 1), static_cast<int64_t>(frames.size()));
    }
    const auto tracks = assign_tracks(found, settings_.tracker);
    // 7. Crops: deterministic names, atomic writes, so a re-run overwrites rather than duplicates.
    const std::string rel_dir = "faces/" + std::to_string(id);
    std::filesystem::create_directories(dir_.root() / rel_dir);
    std::vector<FaceRow> rows;
    int track_count = 0;
    for (size_t f = 0; f < frames.size(); ++f)
      for (size_t k = 0; k < found[f].size(); ++k) {
        const auto& face = found[f][k];
        cv::Mat crop = faces::training_crop(frames[f].rgb, face.box, settings_.crop_size);
        const auto jpg = faces::encode_training_crop(crop);
        const std::string rel = rel_dir + "/t" + std::to_string(tracks[f][k]) + "_f" + std::to_string(frames[f].index) + ".jpg";
        core::write_file_atomic(dir_.root() / rel, std::string(jpg.begin(), jpg.end()));
        const double sharp = laplacian_variance(crop);
        rows.push_back({static_cast<int>(f), tracks[f][k], face, rel, sharp,
                        std::min(face.box.width, face.box.height) < settings_.min_face_px, sharp < settings_.blur_threshold});
        track_count = std::max(track_count, tracks[f][k] + 1);
      }
    // 8. One transaction replaces any partial result of an earlier attempt.
    auto conn = db_.connect();
    core::WriteTransaction txn(*conn);
    for (const char* table : {"faces", "tracks", "frames"}) {
      SQLite::Statement del(*conn, std::string("DELETE FROM ") + table + " WHERE video_id = ?");
      del.bind(1, id);
      del.exec();
    }
    SQLite::Statement dv(*conn, "DELETE FROM videos WHERE submission_id = ?");
    dv.bind(1, id);
    dv.exec();
    SQLite::Statement v(*conn, "INSERT INTO videos(submission_id, width, height, fps, frame_count, duration_s, codec, phash)"
                               " VALUES (?,?,?,?,?,?,?,?)");
    const auto phash = hash_bytes(hashes);
    v.bind(1, id), v.bind(2, info.width), v.bind(3, info.height), v.bind(4, info.fps);
    v.bind(5, info.frame_count), v.bind(6, info.duration_s), v.bind(7, info.codec);
    v.bind(8, phash.data(), static_cast<int>(phash.size()));
    v.exec();
    for (size_t f = 0; f < frames.size(); ++f) {
      SQLite::Statement q(*conn, "INSERT INTO frames(video_id, frame_index, time_s, face_count) VALUES (?,?,?,?)");
      q.bind(1, id), q.bind(2, frames[f].index), q.bind(3, frames[f].time_s), q.bind(4, static_cast<int>(found[f].size()));
      q.exec();
    }
    for (int t = 0; t < track_count; ++t) {
      std::vector<faces::Embedding> embeddings;
      std::vector<float> weights;
      std::string thumb;
      for (const auto& r : rows)
        if (r.track == t) {
          embeddings.push_back(*r.face.embedding);
          weights.push_back(faces::face_weight(r.face.box));
          if (thumb.empty()) thumb = r.crop_path;
        }
      const auto identity = faces::track_identity(embeddings, weights);
      SQLite::Statement q(*conn, "INSERT INTO tracks(video_id, track_index, face_count, embedding, thumbnail) VALUES (?,?,?,?,?)");
      q.bind(1, id), q.bind(2, t), q.bind(3, static_cast<int>(embeddings.size()));
      q.bind(4, identity.data(), 128 * 4), q.bind(5, thumb);
      q.exec();
    }
    for (const auto& r : rows) {
      SQLite::Statement q(*conn, "INSERT INTO faces(video_id, track_index, frame_index, x, y, w, h, score, landmarks, "
                                 "embedding, small, blurred, sharpness, crop_path) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
      const auto& b = r.face.box;
      q.bind(1, id), q.bind(2, r.track), q.bind(3, frames[r.frame_pos].index);
      q.bind(4, b.x), q.bind(5, b.y), q.bind(6, b.width), q.bind(7, b.height), q.bind(8, b.score);
      q.bind(9, r.face.landmarks.data(), 68 * 2 * 4);
      q.bind(10, r.face.embedding->data(), 128 * 4);
      q.bind(11, r.small ? 1 : 0), q.bind(12, r.blurred ? 1 : 0), q.bind(13, r.sharpness), q.bind(14, r.crop_path);
      q.exec();
    }
    SQLite::Statement s(*conn, "UPDATE submissions SET state = 'done', reason = NULL, no_face = ?, updated_ms = ? WHERE id = ?");
    s.bind(1, rows.empty() ? 1 : 0), s.bind(2, clock_.now_ms()), s.bind(3, id);
    s.exec();
    // The item people review; a trusted import's label is confirmed by its operator.
    SQLite::Statement r(*conn, "INSERT OR IGNORE INTO review_items(submission_id, state, label, decided_by, created_ms, "
                               "updated_ms) SELECT id, CASE WHEN trusted = 1 AND claimed_label != 'unknown' THEN "
                               "'confirmed' ELSE 'pending' END, CASE WHEN trusted = 1 AND claimed_label != 'unknown' "
                               "THEN claimed_label END, CASE WHEN trusted = 1 THEN confirmed_by END, ?, ? FROM "
                               "submissions WHERE id = ?");
    r.bind(1, clock_.now_ms()), r.bind(2, clock_.now_ms()), r.bind(3, id);
    r.exec();
    // New data: the daemon refreshes the dataset's splits (one pending refresh is enough).
    SQLite::Statement pending(*conn, "SELECT 1 FROM jobs WHERE kind = 'dataset.refresh' AND state IN ('queued', 'leased')");
    if (!pending.executeStep()) jobs_.enqueue(*conn, {"dataset.refresh", nlohmann::json::object(), std::nullopt, -1});
    txn.commit();
    log->info("submission {} done: {} frames, {} faces in {} tracks{}", id, frames.size(), rows.size(), track_count,
              rows.empty() ? " (no face)" : "");
    return {{"state", "done"}, {"frames", frames.size()}, {"faces", rows.size()}, {"tracks", track_count}};
  } catch (const core::JobCancelled&) {
    submissions_.set_state(id, "queued", std::nullopt, clock_.now_ms());
    throw;
  } catch (const std::exception& e) {
    // Transient (disk, database, models missing): retried by the queue; on the last attempt the
    // submission records the failure.
    finish(id, last_attempt ? "failed" : "queued", std::string(last_attempt ? "" : "retrying: ") + e.what());
    throw;
  }
}

} // namespace curator::ingest
