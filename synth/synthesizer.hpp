#pragma once
//! `curator synth`: real clips in, labelled pseudo-fake clips out. Every frame's largest face (found by
//! curator's own face pipeline, with 68 landmarks) is manipulated by one method with parameters drawn
//! once per clip; the rest of the frame, the frame count and rate are kept (an odd side is padded to
//! even). Each original is also re-encoded through the same writer, so the real and its fake differ only
//! in the manipulation, never in codec, settings, pixel format, size or rate. Donors for blend and swap
//! come from the other inputs, or only from `donors` when given, and must show someone else (face-api
//! embedding distance above `other_person`). Deterministic for a seed (up to the encoder). One call at a
//! time per Synthesizer; the face pipeline may be shared.
#include "ingest/faces/face_pipeline.hpp"
#include "synth/manipulations.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace curator::synth {

struct SynthOptions {
  Method method = Method::self_blend;
  uint64_t seed = 1;
  int crf = 18;                ///< H.264 quality (lower is better)
  float min_face_score = 0.5f; ///< faces.min_score
  int donor_frames = 6;        ///< frames of each input offered as donor faces
  double other_person = 0.6;   ///< embedding distance above which a donor is someone else
  /// Donor clips and images (find_donor_files); when not empty, blend and swap take donors only from
  /// these (people outside the dataset), else from the other inputs.
  std::vector<std::filesystem::path> donors;
};

/// The clips and still images (jpg, jpeg, png, bmp, webp) under `dir`, sorted. Throws InvalidInput when
/// `dir` is not a folder or holds neither.
std::vector<std::filesystem::path> find_donor_files(const std::filesystem::path& dir);

/// One line of the manifest.
struct SynthItem {
  std::filesystem::path file;         ///< the fake
  std::filesystem::path original;     ///< the real clip re-encoded exactly as the fake (<stem>.original.mp4)
  std::filesystem::path derived_from; ///< the real clip it was made from
  Method method = Method::self_blend;
  std::string donor;                  ///< the clip the pasted face came from (blend, swap)
  uint64_t seed = 0;
  nlohmann::json params;              ///< the clip's drawn parameters (to_json(ClipParams))
  int64_t frames = 0, faces_changed = 0;
  double seconds = 0;
  /// file, original, method, derived_from, donor, seed, params, frames, faces_changed
  nlohmann::json to_json() const;
};

class Synthesizer {
public:
  Synthesizer(const faces::FacePipeline& faces, SynthOptions options);

  /// One fake per input, written to `out_dir` as <stem>.<method>.mp4, and its original re-encoded the
  /// same way as <stem>.original.mp4. Throws InvalidInput when an input is not a video, shows no face,
  /// or (blend, swap) no donor shows someone else.
  std::vector<SynthItem> run(const std::vector<std::filesystem::path>& inputs, const std::filesystem::path& out_dir,
                             const std::function<void(const SynthItem&)>& done = nullptr);

private:
  struct PoolFace {
    Donor donor;
    faces::Embedding embedding{};
    size_t input = 0;
  };
  std::vector<PoolFace> sample_faces(const std::filesystem::path& file, size_t input) const;
  std::vector<PoolFace> donor_pool(const std::vector<std::filesystem::path>& inputs) const;
  const Donor* pick_donor(size_t input, size_t inputs, const std::vector<PoolFace>& pool) const;
  SynthItem make(const std::filesystem::path& input, const std::filesystem::path& out_dir, const Donor* donor) const;

  const faces::FacePipeline& faces_;
  SynthOptions o_;
};

/// Writes the manifest as JSON lines.
void write_manifest(const std::vector<SynthItem>& items, const std::filesystem::path& file);

} // namespace curator::synth
