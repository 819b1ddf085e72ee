#include "retrain/video_scorer.hpp"

#include "core/error.hpp"
#include "core/setting_keys.hpp"
#include "ingest/face_follower.hpp"
#include "ingest/faces/chips.hpp"
#include "ingest/frame_sampler.hpp"
#include "ingest/frame_stream.hpp"
#include "ingest/video_checks.hpp"
#include "ingest/video_probe.hpp"
#include "retrain/metrics.hpp"

#include <algorithm>
#include <chrono>
#include <map>

namespace curator::retrain {

ScoreOptions score_options(const core::Config& config, int frames) {
  ScoreOptions o;
  o.sample_frames = frames;
  o.min_face_score = static_cast<float>(config.get(core::keys::faces_min_score));
  o.crop_size = static_cast<int>(config.get(core::keys::faces_crop_size));
  o.detect_every = static_cast<int>(config.get(core::keys::ingest_detect_every));
  o.follow_landmarks = config.get(core::keys::ingest_follow_landmarks);
  o.tracker = {static_cast<float>(config.get(core::keys::faces_track_iou)),
               static_cast<float>(config.get(core::keys::faces_same_person_distance))};
  o.limits = ingest::VideoLimits::from_config(config);
  return o;
}

ScoreOptions score_options(const core::Config& config, int frames, const nlohmann::json& card) {
  const auto s = card.is_object() ? card.value("serving", nlohmann::json::object()) : nlohmann::json::object();
  ScoreOptions o = score_options(config, frames > 0 ? frames : s.value("sample_frames", static_cast<int>(config.get(core::keys::ingest_sample_frames))));
  o.min_face_score = s.value("min_face_score", o.min_face_score);
  o.crop_size = s.value("crop_size", o.crop_size);
  o.detect_every = s.value("detect_every", o.detect_every);
  o.follow_landmarks = s.value("follow_landmarks", o.follow_landmarks);
  o.tracker.min_iou = s.value("track_iou", o.tracker.min_iou);
  o.tracker.same_person_distance = s.value("same_person_distance", o.tracker.same_person_distance);
  return o;
}

nlohmann::json serving_settings(const core::Config& config) {
  const auto o = score_options(config, static_cast<int>(config.get(core::keys::ingest_sample_frames)));
  return {{"sample_frames", o.sample_frames}, {"crop_size", o.crop_size},
          {"min_face_score", o.min_face_score}, {"detect_every", o.detect_every},
          {"follow_landmarks", o.follow_landmarks}, {"track_iou", o.tracker.min_iou},
          {"same_person_distance", o.tracker.same_person_distance}, {"aggregation", "confident"},
          {"threshold", 0.5}};
}

nlohmann::json score_video(const ScoringModel& model, const faces::FacePipeline& pipeline, const std::filesystem::path& video,
                           const ScoreOptions& o, const std::function<void()>& checkpoint) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  auto since = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  const auto info = ingest::probe_video(video);
  if (const auto why = ingest::check_video(info, o.limits)) throw InvalidInput("not scored: " + *why);
  // Frames are decoded on their own thread while the faces of the first ones are found.
  ingest::FrameStream stream(video, ingest::sample_indices(info.frame_count, o.sample_frames, 0), info.fps,
                             /*decode_all=*/false);
  ingest::FollowSettings follow;
  follow.detect_every = o.detect_every;
  follow.follow_landmarks = o.follow_landmarks;
  follow.min_score = o.min_face_score;
  ingest::FaceFollower follower(pipeline, follow);
  std::vector<std::vector<faces::DetectedFace>> found;
  {
    ingest::StreamedClip clip(stream);
    found = follower.follow_clip(clip.frames(), [&](size_t) {
      if (checkpoint) checkpoint();
    });
  }
  if (checkpoint) checkpoint();
  auto decoded = stream.finish();
  const auto& frames = decoded.frames;
  if (frames.empty()) throw InvalidInput("no frame of " + video.filename().string() + " could be decoded");
  std::vector<cv::Mat> crops;
  for (size_t f = 0; f < frames.size(); ++f)
    for (const auto& face : found[f]) // exactly what training and evaluation read: the stored crop
      crops.push_back(faces::stored_training_crop(faces::training_crop(frames[f].rgb, face.box, o.crop_size)));
  const auto tracks = ingest::assign_tracks(found, o.tracker);
  const double faces_s = since(t0);
  const auto t2 = Clock::now();
  const auto probs = model.score(crops);
  const double model_s = since(t2);
  nlohmann::json faces_json = nlohmann::json::array(), frames_json = nlohmann::json::array();
  std::map<int, std::vector<double>> by_track;
  size_t k = 0;
  for (size_t f = 0; f < frames.size(); ++f) {
    double frame_max = -1;
    for (size_t i = 0; i < found[f].size(); ++i, ++k) {
      const auto& b = found[f][i].box;
      faces_json.push_back({{"frame", frames[f].index}, {"time_s", frames[f].time_s}, {"track", tracks[f][i]},
                            {"box", {b.x, b.y, b.width, b.height}}, {"p_fake", probs[k]}});
      by_track[tracks[f][i]].push_back(probs[k]);
      frame_max = std::max(frame_max, probs[k]);
    }
    frames_json.push_back({{"frame", frames[f].index}, {"time_s", frames[f].time_s}, {"faces", found[f].size()},
                           {"p_fake", frame_max < 0 ? nlohmann::json() : nlohmann::json(frame_max)}});
  }
  nlohmann::json tracks_json = nlohmann::json::array();
  for (const auto& [t, p] : by_track) tracks_json.push_back({{"track", t}, {"faces", p.size()}, {"p_fake", mean_probability(p)}});
  nlohmann::json verdict = {{"faces", probs.size()}};
  if (probs.empty()) {
    verdict["p_fake_mean"] = nullptr, verdict["p_fake_confident"] = nullptr, verdict["verdict"] = "no_face";
  } else {
    const double confident = confident_strategy(probs);
    verdict["p_fake_mean"] = mean_probability(probs), verdict["p_fake_confident"] = confident;
    verdict["verdict"] = confident >= 0.5 ? "fake" : "real";
  }
  return {{"frames_sampled", frames.size()}, {"faces", faces_json}, {"frames", frames_json}, {"tracks", tracks_json},
          {"video", verdict},
          {"seconds", {{"decode", decoded.seconds}, {"faces", faces_s}, {"model", model_s}, {"total", since(t0)}}}};
}

} // namespace curator::retrain
