// The ingest job as stages: content (URL submissions queued before downloads had their own jobs),
// exact duplicate, validation, frames and their faces (with the still-image check), copies of earlier footage,
// broken data, tracks and crops, then one transaction that replaces whatever an earlier, interrupted
// attempt wrote. A stage either passes its result on or ends the job with a verdict.
#include "ingest/ingest_service.hpp"

#include "core/data_dir.hpp"
#include "core/error.hpp"
#include "core/logging.hpp"
#include "ingest/decode_check.hpp"
#include "ingest/face_follower.hpp"
#include "ingest/faces/chips.hpp"
#include "ingest/faces/identity.hpp"
#include "ingest/frame_sampler.hpp"
#include "ingest/frame_stream.hpp"

#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <future>
#include <variant>

namespace curator::ingest {

namespace {

/// How a job ends before its video is stored.
struct Verdict {
  SubmissionState state; ///< rejected or duplicate
  std::string reason;
  std::optional<int64_t> duplicate_of;
  bool forget_download = false; ///< a file (uploaded or downloaded) that is not a usable video is deleted

  static Verdict rejected(std::string why) { return {SubmissionState::rejected, std::move(why), std::nullopt, true}; }
  static Verdict duplicate(std::string why, int64_t of) { return {SubmissionState::duplicate, std::move(why), of, false}; }
};

template <typename T> using Stage = std::variant<T, Verdict>;

double laplacian_variance(const cv::Mat& rgb) {
  cv::Mat grey, lap;
  cv::cvtColor(rgb, grey, cv::COLOR_RGB2GRAY);
  cv::Laplacian(grey, lap, CV_64F);
  cv::Scalar mean, stddev;
  cv::meanStdDev(lap, mean, stddev);
  return stddev[0] * stddev[0];
}

std::string percent(double share) {
  return std::to_string(static_cast<int>(share * 1000) / 10.0).substr(0, 4) + "%";
}

} // namespace

/// One run of the job for one submission.
class IngestRun {
public:
  IngestRun(IngestService& service, Submission sub, core::JobContext& ctx)
      : s_(service), sub_(std::move(sub)), ctx_(ctx), id_(sub_.id) {}

  nlohmann::json run() {
    if (auto v = ensure_content()) return conclude(*v);
    if (auto of = s_.submissions_.earlier_with_blob(*sub_.blob_sha256, id_))
      return conclude(Verdict::duplicate("the same file was submitted as #" + std::to_string(*of), *of));
    const auto path = s_.blobs_.path_of(*sub_.blob_sha256);
    lap("fetch");
    auto info = validate(path);
    if (auto* v = std::get_if<Verdict>(&info)) return conclude(*v);
    video_.info = std::get<VideoInfo>(info);
    lap("probe");
    // The container's packet count, beside the sampling (which decodes the whole stream): see broken().
    auto packets = count_packets_async(path);
    if (auto v = frames_and_faces(path)) return conclude(*v);
    lap("faces");
    // The same footage as far as whole frames tell; the faces decide.
    const auto candidates = s_.footage_candidates(id_, label_name(sub_.meta.label), sub_.meta.method, video_.frame_hashes);
    same_footage_as_ = same_footage_as(candidates);
    if (auto v = broken(decode_report(path, packets.get()))) return conclude(*v);
    lap("checks");
    build_tracks_and_crops();
    lap("crops");
    return store();
  }

private:
  // 1. A URL submission queued before downloads had their own jobs is downloaded here.
  std::optional<Verdict> ensure_content() {
    if (!sub_.blob_sha256 && sub_.url) {
      core::BlobRef blob;
      try {
        blob = fetch_url(*sub_.url, s_.blobs_, s_.settings_.fetch);
      } catch (const InvalidInput& e) {
        return Verdict{SubmissionState::rejected, e.what(), std::nullopt, false};
      }
      auto conn = s_.db_.connect();
      s_.submissions_.attach_blob(*conn, id_, blob.sha256, static_cast<int64_t>(blob.size), s_.clock_.now_ms());
      sub_.blob_sha256 = blob.sha256;
    }
    if (!sub_.blob_sha256) throw core::PermanentJobError("submission " + std::to_string(id_) + " has no content");
    return std::nullopt;
  }

  // 3. What the container says, within the configured limits.
  Stage<VideoInfo> validate(const std::filesystem::path& path) {
    VideoInfo info;
    try {
      info = probe_video(path);
    } catch (const InvalidInput& e) {
      return Verdict::rejected(std::string("not a usable video: ") + e.what());
    }
    if (auto why = check_video(info, s_.settings_.limits)) return Verdict::rejected(*why);
    return info;
  }

  // 4. Sampled frames, decoded on a thread of their own (the whole stream, to count its frames), and the
  //    faces on them (landmarks, embeddings) found as the frames come; then the frames' hashes and the
  //    still-image check. Progress is visible meanwhile. The job's "decode" seconds are the decoding
  //    thread's, inside "faces".
  std::optional<Verdict> frames_and_faces(const std::filesystem::path& path) {
    const auto& st = s_.settings_;
    const auto indices = sample_indices(video_.info.frame_count, st.sample_frames, st.sample_every);
    const auto total = static_cast<int64_t>(indices.size());
    s_.submissions_.set_progress(id_, 0, total);
    ctx_.check_cancelled();
    FrameStream stream(path, indices, video_.info.fps, /*decode_all=*/true, !st.check_every_picture);
    FollowSettings follow;
    follow.detect_every = st.detect_every;
    follow.follow_landmarks = st.follow_landmarks;
    follow.min_score = st.min_score;
    FaceFollower follower(s_.faces_(), follow);
    {
      StreamedClip clip(stream);
      found_ = follower.follow_clip(clip.frames(), [&](size_t done) {
        ctx_.check_cancelled();
        s_.submissions_.set_progress(id_, static_cast<int64_t>(done), total);
      });
    }
    auto decoded = stream.finish();
    seconds_["decode"] = decoded.seconds;
    frames_ = std::move(decoded.frames);
    decoded_frames_ = decoded.decoded_frames;
    if (frames_.size() < 2)
      return Verdict::rejected("only " + std::to_string(frames_.size()) + " frames could be decoded");
    for (const auto& f : frames_) rgb_.push_back(f.rgb);
    video_.frame_hashes = std::move(decoded.signatures.hashes);
    if (looks_static(decoded.signatures.thumbnails))
      return Verdict::rejected("every sampled frame is the same picture: a still image, not a video");
    video_.face_prints = largest_face_prints(rgb_, found_);
    return std::nullopt;
  }

  // 5. Footage whose faces also match an earlier video's is kept and linked to it, never dropped: a
  //    subtle reenactment (a mouth moved by a few pixels) looks like a re-encode of its original, and
  //    dropping the original as a "copy" of it would lose a real video. Only the same bytes are dropped
  //    (step 1). The near-duplicate frames also join both to one split unit.
  std::optional<int64_t> same_footage_as(const std::vector<FootageRow>& candidates) {
    for (const auto& other : candidates)
      if (same_faces(other.face_prints, rgb_, s_.settings_.copy_face_difference)) return other.video;
    return std::nullopt;
  }

  // 6. Broken data: packets that decode to no frame. When every packet gave the sampler a frame nothing
  //    is broken; otherwise FFmpeg's decoder, which goes on past broken data where OpenCV's reader
  //    stops, decodes the stream again to count them.
  std::optional<DecodeReport> decode_report(const std::filesystem::path& path, std::optional<int64_t> packets) const {
    if (packets && *packets == decoded_frames_) return DecodeReport{*packets, decoded_frames_};
    return check_decode(path);
  }

  std::optional<Verdict> broken(const std::optional<DecodeReport>& report) {
    decode_errors_ = report ? report->broken() : 0;
    if (!report || report->broken_share() <= s_.settings_.max_broken_share) return std::nullopt;
    return Verdict::rejected(std::to_string(decode_errors_) + " of " + std::to_string(report->packets) +
                             " frames could not be decoded (broken data; at most " +
                             percent(s_.settings_.max_broken_share) + " is accepted)");
  }

  // 7. Tracks, and crops under deterministic names written atomically, so a re-run overwrites rather
  //    than duplicates.
  void build_tracks_and_crops() {
    const auto& st = s_.settings_;
    const auto tracks = assign_tracks(found_, st.tracker);
    const std::string rel_dir = core::DataDir::face_crops_rel(id_);
    std::filesystem::create_directories(s_.dir_.root() / rel_dir);
    int track_count = 0;
    for (size_t f = 0; f < frames_.size(); ++f) {
      video_.frames.push_back({frames_[f].index, frames_[f].time_s, static_cast<int>(found_[f].size())});
      for (size_t k = 0; k < found_[f].size(); ++k) {
        const auto& face = found_[f][k];
        const cv::Mat crop = faces::training_crop(frames_[f].rgb, face.box, st.crop_size);
        const auto jpg = faces::encode_training_crop(crop);
        const std::string rel = rel_dir + "/t" + std::to_string(tracks[f][k]) + "_f" + std::to_string(frames_[f].index) + ".jpg";
        core::write_file_atomic(s_.dir_.root() / rel, std::string(jpg.begin(), jpg.end()));
        const double sharp = laplacian_variance(crop);
        video_.faces.push_back({tracks[f][k], frames_[f].index, face, rel, sharp,
                                std::min(face.box.width, face.box.height) < st.min_face_px, sharp < st.blur_threshold});
        track_count = std::max(track_count, tracks[f][k] + 1);
      }
    }
    for (int t = 0; t < track_count; ++t) {
      std::vector<faces::Embedding> embeddings;
      std::vector<float> weights;
      TrackRow row;
      row.video = id_;
      row.track = t;
      for (const auto& r : video_.faces)
        if (r.track == t) {
          embeddings.push_back(*r.face.embedding);
          weights.push_back(faces::face_weight(r.face.box));
          if (row.thumbnail.empty()) row.thumbnail = r.crop_path;
        }
      row.faces = static_cast<int>(embeddings.size());
      row.identity = faces::track_identity(embeddings, weights);
      video_.tracks.push_back(row);
    }
  }

  // 8. One transaction replaces any partial result of an earlier attempt; what other modules start from
  //    a new video commits with it.
  nlohmann::json store() {
    video_.video = id_;
    auto conn = s_.db_.connect();
    core::WriteTransaction txn(*conn);
    s_.videos_.replace(*conn, video_);
    s_.submissions_.mark_done(*conn, id_, video_.faces.empty(), decode_errors_, s_.clock_.now_ms(), same_footage_as_);
    if (s_.on_ingested_) s_.on_ingested_(*conn, sub_);
    txn.commit();
    lap("store");
    core::logger("ingest")->info("submission {} done: {} frames, {} faces in {} tracks{}", id_, frames_.size(),
                                 video_.faces.size(), video_.tracks.size(), video_.faces.empty() ? " (no face)" : "");
    return {{"state", "done"}, {"frames", frames_.size()}, {"faces", video_.faces.size()}, {"tracks", video_.tracks.size()},
            {"seconds", seconds_}};
  }

  // The time since the last lap, recorded as `stage`.
  void lap(const char* stage) {
    const auto now = std::chrono::steady_clock::now();
    seconds_[stage] = std::chrono::duration<double>(now - lap_start_).count();
    lap_start_ = now;
  }

  nlohmann::json conclude(const Verdict& v) {
    // The bytes go first: whoever sees the final state never sees a deleted file still attached.
    if (v.forget_download) s_.forget_download(sub_);
    s_.finish(id_, v.state, v.reason, v.duplicate_of);
    nlohmann::json out = {{"state", submission_state_name(v.state)}, {"reason", v.reason}};
    if (v.duplicate_of) out["duplicate_of"] = *v.duplicate_of;
    return out;
  }

  IngestService& s_;
  Submission sub_;
  core::JobContext& ctx_;
  const int64_t id_;
  std::vector<SampledFrame> frames_;
  std::vector<cv::Mat> rgb_;
  std::vector<std::vector<faces::DetectedFace>> found_;
  int64_t decode_errors_ = 0;
  std::optional<int64_t> same_footage_as_; ///< an earlier video with the same footage and faces
  int64_t decoded_frames_ = 0; ///< frames of the whole stream the sampler decoded
  nlohmann::json seconds_ = nlohmann::json::object(); ///< wall time of each stage, in the job's result
  std::chrono::steady_clock::time_point lap_start_ = std::chrono::steady_clock::now();
  IngestedVideo video_;
};

nlohmann::json IngestService::run_job(int64_t id, core::JobContext& ctx, bool last_attempt) {
  auto sub = submissions_.get(id);
  if (!sub) throw core::PermanentJobError("no submission " + std::to_string(id));
  if (sub->state == SubmissionState::done || sub->state == SubmissionState::rejected ||
      sub->state == SubmissionState::duplicate)
    return {{"state", submission_state_name(sub->state)}, {"note", "already finished"}};
  submissions_.set_state(id, SubmissionState::processing, std::nullopt, clock_.now_ms());
  try {
    return IngestRun(*this, std::move(*sub), ctx).run();
  } catch (const core::JobCancelled&) {
    submissions_.set_state(id, SubmissionState::queued, std::nullopt, clock_.now_ms());
    throw;
  } catch (const core::JobLimitExceeded& e) {
    finish(id, SubmissionState::failed, e.what()); // not retried: the same input would do it again
    throw;
  } catch (const std::exception& e) {
    // Transient (disk, database, models missing): retried by the queue; on the last attempt the
    // submission records the failure.
    finish(id, last_attempt ? SubmissionState::failed : SubmissionState::queued, std::string(last_attempt ? "" : "retrying: ") + e.what());
    throw;
  }
}

} // namespace curator::ingest
