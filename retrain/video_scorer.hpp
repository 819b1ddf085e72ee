#pragma once
//! Scores one video with a detector: the same sampling, face path (ingest/face_follower.hpp), tracking
//! and FF++ crops as ingest, then the model on every face. Per face the fake probability; per frame the highest of its
//! faces (one fake face makes a fake frame); per track the mean; for the video the mean of all faces and
//! the DFDC confident strategy, and a verdict at 0.5 on the latter. Nothing is stored.
//! Thread-safe (the model and the face pipeline may be shared).
#include "core/config.hpp"
#include "ingest/faces/face_pipeline.hpp"
#include "ingest/tracker.hpp"
#include "ingest/video_checks.hpp"
#include "retrain/scoring_model.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>

namespace curator::retrain {

struct ScoreOptions {
  int sample_frames = 32;
  float min_face_score = 0.5f;
  int crop_size = 224;
  int detect_every = 8; ///< as ingest.detect_every: the detector on every k-th sampled frame, faces followed between
  bool follow_landmarks = false; ///< as ingest.follow_landmarks
  ingest::TrackerOptions tracker;
  ingest::VideoLimits limits; ///< as ingest: a video outside them is refused before decoding
};

/// The options the configuration gives (faces.*, ingest.detect_every), sampling `frames` frames.
ScoreOptions score_options(const core::Config& config, int frames);
/// The same options for a model: its card's "serving" block (the settings its training crops were made
/// with) wins over the configuration, so the served model sees faces as its gate did; `frames` <= 0 takes
/// the card's sample_frames. Cards without the block use the configuration.
ScoreOptions score_options(const core::Config& config, int frames, const nlohmann::json& card);
/// The card's "serving" block from the configuration at training time: sample_frames, crop_size,
/// min_face_score, detect_every, follow_landmarks, track_iou, same_person_distance, and how a video's
/// verdict is made (aggregation "confident", threshold 0.5).
nlohmann::json serving_settings(const core::Config& config);

/// {"frames_sampled", "faces": [{frame, time_s, track, box, p_fake}], "frames": [{frame, time_s, faces,
/// p_fake}], "tracks": [{track, faces, p_fake}], "video": {p_fake_mean, p_fake_confident, verdict}, "seconds":
/// {decode, faces, model, total}} (wall time of this call's stages: faces from the start, with the decoding,
/// which runs beside it on a thread of its own; decode is that thread's).
/// Throws InvalidInput for a file that is not a readable video. `checkpoint`, when given, is called once per
/// sampled frame and before the model runs; it may throw to stop (a job's limits, shutdown).
nlohmann::json score_video(const ScoringModel& model, const faces::FacePipeline& faces, const std::filesystem::path& video,
                           const ScoreOptions& options, const std::function<void()>& checkpoint = {});

} // namespace curator::retrain
