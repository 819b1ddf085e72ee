#include "synth/synthesizer.hpp"

#include "core/error.hpp"
#include "core/logging.hpp"
#include "synth/video_io.hpp"

#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <fstream>

namespace curator::synth {

namespace {

uint64_t fnv1a(const std::string& text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
  return h;
}

// The random engine of one frame: the same seed, file and frame give the same manipulation.
Rng frame_rng(uint64_t seed, const std::string& name, int64_t frame) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(fnv1a(name)),
                    static_cast<uint32_t>(fnv1a(name) >> 32), static_cast<uint32_t>(frame)};
  return Rng(seq);
}

const faces::DetectedFace* largest(const std::vector<faces::DetectedFace>& found) {
  const faces::DetectedFace* best = nullptr;
  for (const auto& f : found)
    if (!best || f.box.width * f.box.height > best->box.width * best->box.height) best = &f;
  return best;
}

faces::Embedding mean_identity(const std::vector<faces::Embedding>& all) {
  faces::Embedding m{};
  for (const auto& e : all)
    for (size_t k = 0; k < m.size(); ++k) m[k] += e[k] / static_cast<float>(all.size());
  return m;
}

} // namespace

nlohmann::json SynthItem::to_json() const {
  return {{"file", file.filename().string()}, {"method", method_name(method)}, {"derived_from", derived_from.string()},
          {"donor", donor.empty() ? nlohmann::json() : nlohmann::json(donor)}, {"seed", seed},
          {"frames", frames}, {"faces_changed", faces_changed}};
}

Synthesizer::Synthesizer(const faces::FacePipeline& faces, SynthOptions options) : faces_(faces), o_(options) {}

// A few evenly spaced frames' largest faces, cut out with room around them, with embeddings.
std::vector<Synthesizer::PoolFace> Synthesizer::sample_faces(const std::filesystem::path& file, size_t input) const {
  FrameReader reader(file);
  std::vector<cv::Mat> frames;
  for (cv::Mat f; reader.next(f);) frames.push_back(f.clone());
  std::vector<PoolFace> out;
  const size_t step = std::max<size_t>(1, frames.size() / static_cast<size_t>(std::max(1, o_.donor_frames)));
  for (size_t i = 0; i < frames.size() && out.size() < static_cast<size_t>(o_.donor_frames); i += step) {
    const auto found = faces_.analyze(frames[i], o_.min_face_score, true);
    const auto* face = largest(found);
    if (!face || !face->embedding) continue;
    PoolFace p;
    const cv::Rect region = face_region(frames[i].size(), face->landmarks, 0.5);
    p.donor.image = frames[i](region).clone();
    for (size_t k = 0; k < 68; ++k) p.donor.landmarks[k] = face->landmarks[k] - cv::Point2f(region.tl());
    p.donor.source = file.filename().string();
    p.embedding = *face->embedding;
    p.input = input;
    out.push_back(std::move(p));
  }
  return out;
}

// Among the other inputs' faces that show someone else, the one whose pose is closest to this input's.
const Donor* Synthesizer::pick_donor(size_t input, const std::vector<PoolFace>& pool) const {
  std::vector<faces::Embedding> own;
  const PoolFace* first = nullptr;
  for (const auto& p : pool)
    if (p.input == input) {
      own.push_back(p.embedding);
      if (!first) first = &p;
    }
  if (!first) return nullptr;
  const auto identity = mean_identity(own);
  const PoolFace* best = nullptr;
  double best_d = 0;
  for (const auto& p : pool) {
    if (p.input == input || faces::embedding_distance(p.embedding, identity) <= o_.other_person) continue;
    const double d = shape_distance(p.donor.landmarks, first->donor.landmarks);
    if (!best || d < best_d) best = &p, best_d = d;
  }
  return best ? &best->donor : nullptr;
}

SynthItem Synthesizer::make(const std::filesystem::path& input, const std::filesystem::path& out, const Donor* donor) const {
  const auto started = std::chrono::steady_clock::now();
  SynthItem item;
  item.file = out, item.derived_from = input, item.method = o_.method, item.seed = o_.seed;
  if (donor) item.donor = donor->source;
  FrameReader reader(input);
  H264Writer writer(out, reader.size(), reader.fps(), o_.crf);
  const std::string name = input.filename().string();
  for (cv::Mat frame; reader.next(frame); ++item.frames) {
    const auto found = faces_.analyze(frame, o_.min_face_score, false);
    const auto* face = largest(found);
    if (!face) {
      writer.write(frame);
      continue;
    }
    Rng rng = frame_rng(o_.seed, name, item.frames);
    cv::Mat fake;
    switch (o_.method) {
    case Method::blend: fake = blend_face(frame, face->landmarks, *donor, rng); break;
    case Method::self_blend: fake = self_blend_face(frame, face->landmarks, rng); break;
    case Method::lowres: fake = lowres_face(frame, face->landmarks, rng); break;
    case Method::swap: fake = swap_face(frame, face->landmarks, *donor); break;
    }
    writer.write(fake);
    ++item.faces_changed;
  }
  writer.close();
  item.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return item;
}

std::vector<SynthItem> Synthesizer::run(const std::vector<std::filesystem::path>& inputs,
                                        const std::filesystem::path& out_dir,
                                        const std::function<void(const SynthItem&)>& done) {
  std::filesystem::create_directories(out_dir);
  std::vector<PoolFace> pool;
  if (needs_donor(o_.method))
    for (size_t i = 0; i < inputs.size(); ++i) {
      auto faces = sample_faces(inputs[i], i);
      for (auto& f : faces) pool.push_back(std::move(f));
    }
  std::vector<SynthItem> items;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Donor* donor = nullptr;
    if (needs_donor(o_.method)) {
      donor = pick_donor(i, pool);
      if (!donor)
        throw InvalidInput(std::string(method_name(o_.method)) + " needs a donor face of someone else: no other input shows "
                           "another person than " + inputs[i].filename().string() + " (or it shows no face)");
    }
    const auto out = out_dir / (inputs[i].stem().string() + "." + method_name(o_.method) + ".mp4");
    items.push_back(make(inputs[i], out, donor));
    if (items.back().faces_changed == 0)
      throw InvalidInput("no face found in " + inputs[i].filename().string() + ": nothing to manipulate");
    core::logger("synth")->info("{}: {} frames, {} faces changed, {:.1f} s", out.filename().string(),
                                items.back().frames, items.back().faces_changed, items.back().seconds);
    if (done) done(items.back());
  }
  return items;
}

void write_manifest(const std::vector<SynthItem>& items, const std::filesystem::path& file) {
  std::ofstream out(file, std::ios::trunc);
  for (const auto& item : items) out << item.to_json().dump() << "\n";
  if (!out) throw Error(ErrorCode::internal, "cannot write " + file.string());
}

} // namespace curator::synth
