#include "ingest/follow_eval.hpp"

#include "ingest/faces/chips.hpp"
#include "ingest/frame_sampler.hpp"
#include "ingest/video_checks.hpp"
#include "ingest/video_probe.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace curator::ingest {

namespace fs = std::filesystem;

std::string FollowTally::report() const {
  std::ostringstream out;
  out << frames << " frames: full path " << full_faces << " faces in " << full_seconds << " s, fast path " << fast_faces
      << " in " << fast_seconds << " s; box IoU >= 0.8: " << share(matched) << ", crop IoU >= 0.8: "
      << share(crop_matched) << ", same person: " << same_person << " of " << matched
      << "; fast faces without a match: " << unmatched_fast << "; detector on " << detected << " of " << frames
      << " frames; best IoU by tenths " << nlohmann::json(iou_deciles).dump();
  return out.str();
}

namespace {

std::vector<cv::Mat> rgb_of(const std::vector<SampledFrame>& frames) {
  std::vector<cv::Mat> out;
  for (const auto& f : frames) out.push_back(f.rgb);
  return out;
}

std::vector<uint64_t> hashes_of(const std::vector<SampledFrame>& frames) {
  std::vector<uint64_t> out;
  for (const auto& f : frames) out.push_back(dhash(f.rgb));
  return out;
}

void compare_with(const faces::FacePipeline& pipeline, const std::vector<SampledFrame>& frames,
                  const std::vector<std::vector<faces::DetectedFace>>& full_faces, double full_seconds,
                  const FollowSettings& fast_settings, FollowTally& t) {
  FaceFollower fast(pipeline, fast_settings);
  const auto fast_faces = fast.follow_clip(rgb_of(frames), hashes_of(frames));
  for (size_t n = 0; n < frames.size(); ++n) {
    const auto& a = full_faces[n];
    const auto& b = fast_faces[n];
    t.full_faces += static_cast<int>(a.size());
    t.fast_faces += static_cast<int>(b.size());
    std::vector<bool> used(b.size(), false);
    for (const auto& fa : a) {
      int best = -1;
      float best_iou = 0;
      for (size_t k = 0; k < b.size(); ++k)
        if (!used[k] && fa.box.iou(b[k].box) > best_iou) best_iou = fa.box.iou(b[k].box), best = static_cast<int>(k);
      ++t.iou_deciles[std::min(9, static_cast<int>(best_iou * 10))];
      if (best < 0) continue;
      // The crop ingest stores: a 1.3x square around the box.
      if (faces::training_crop_box(fa.box).iou(faces::training_crop_box(b[best].box)) >= 0.8f) ++t.crop_matched;
      if (best_iou < 0.8f) continue;
      used[best] = true;
      ++t.matched;
      if (faces::embedding_distance(*fa.embedding, *b[best].embedding) < 0.6f) ++t.same_person;
    }
    for (bool u : used) t.unmatched_fast += u ? 0 : 1;
  }
  t.frames += static_cast<int>(frames.size());
  t.detected += fast.counts().detected;
  t.full_seconds += full_seconds;
  t.fast_seconds += fast.counts().detect_seconds + fast.counts().follow_seconds;
}

} // namespace

FollowSettings fast_follow_settings(bool follow_landmarks) {
  FollowSettings s;
  s.detect_every = 8;
  s.follow_landmarks = follow_landmarks;
  return s;
}

void compare_follow(const faces::FacePipeline& pipeline, const fs::path& clip, int frames,
                    const std::vector<FollowSettings>& fast, const std::vector<FollowTally*>& tallies) {
  if (fast.size() != tallies.size()) throw std::invalid_argument("compare_follow: one tally per fast setting");
  const auto info = probe_video(clip);
  const auto sampled = sample_frames(clip, sample_indices(info.frame_count, frames, 0), info.fps);
  FaceFollower full(pipeline, FollowSettings{});
  const auto full_faces = full.follow_clip(rgb_of(sampled), hashes_of(sampled)); // per frame
  const double full_seconds = full.counts().detect_seconds + full.counts().follow_seconds;
  for (size_t k = 0; k < fast.size(); ++k) compare_with(pipeline, sampled, full_faces, full_seconds, fast[k], *tallies[k]);
}

std::vector<fs::path> follow_eval_clips(const fs::path& data) {
  std::vector<fs::path> clips;
  for (const char* dir : {"video/more", "video/lipnet", "video/retalking", "video/sadtalker", "deepfake/eyecantell",
                          "video/edge"})
    for (const auto& e : fs::recursive_directory_iterator(data / dir)) {
      const auto ext = e.path().extension().string();
      if (e.is_regular_file() && (ext == ".mp4" || ext == ".mpg" || ext == ".flv" || ext == ".avi" || ext == ".mov"))
        clips.push_back(e.path());
    }
  std::sort(clips.begin(), clips.end());
  return clips;
}

} // namespace curator::ingest
