#include "synth/synthesizer.hpp"

#include "core/error.hpp"
#include "core/logging.hpp"
#include "ingest/importers.hpp"
#include "synth/video_io.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <set>

namespace curator::synth {

namespace {

uint64_t fnv1a(const std::string& text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
  return h;
}

// The random engine of one clip: the same seed and file give the same parameters.
Rng clip_rng(uint64_t seed, const std::string& name) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(fnv1a(name)),
                    static_cast<uint32_t>(fnv1a(name) >> 32)};
  return Rng(seq);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_image(const std::filesystem::path& file) {
  static const std::set<std::string> kImages = {".jpg", ".jpeg", ".png", ".bmp", ".webp"};
  return kImages.count(lower(file.extension().string())) > 0;
}

// A clip's frames, or a still image as one frame; RGB.
std::vector<cv::Mat> read_frames(const std::filesystem::path& file) {
  std::vector<cv::Mat> frames;
  if (is_image(file)) {
    const cv::Mat bgr = cv::imread(file.string(), cv::IMREAD_COLOR);
    if (bgr.empty()) throw InvalidInput("not a readable image: " + file.filename().string());
    frames.emplace_back();
    cv::cvtColor(bgr, frames.back(), cv::COLOR_BGR2RGB);
    return frames;
  }
  FrameReader reader(file);
  for (cv::Mat f; reader.next(f);) frames.push_back(f.clone());
  return frames;
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

std::vector<std::filesystem::path> find_donor_files(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw InvalidInput("--donors: not a folder: " + dir.string());
  auto files = ingest::find_videos(dir);
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec); !ec && it != std::filesystem::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file(ec) && is_image(it->path())) files.push_back(it->path());
  std::sort(files.begin(), files.end());
  if (files.empty()) throw InvalidInput("--donors: no clip or image in " + dir.string());
  return files;
}

nlohmann::json SynthItem::to_json() const {
  return {{"file", file.filename().string()}, {"original", original.filename().string()},
          {"method", method_name(method)}, {"derived_from", derived_from.string()},
          {"donor", donor.empty() ? nlohmann::json() : nlohmann::json(donor)}, {"seed", seed}, {"params", params},
          {"frames", frames}, {"faces_changed", faces_changed}};
}

Synthesizer::Synthesizer(const faces::FacePipeline& faces, SynthOptions options) : faces_(faces), o_(options) {}

// A few evenly spaced frames' largest faces, cut out with room around them, with embeddings.
std::vector<Synthesizer::PoolFace> Synthesizer::sample_faces(const std::filesystem::path& file, size_t input) const {
  const std::vector<cv::Mat> frames = read_frames(file);
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

// The inputs' faces (numbered by input) and, with o_.donors, the donor files' (numbered from inputs.size()).
std::vector<Synthesizer::PoolFace> Synthesizer::donor_pool(const std::vector<std::filesystem::path>& inputs) const {
  std::vector<PoolFace> pool;
  const auto add = [&](const std::filesystem::path& file, size_t index) {
    for (auto& f : sample_faces(file, index)) pool.push_back(std::move(f));
  };
  for (size_t i = 0; i < inputs.size(); ++i) add(inputs[i], i);
  for (size_t j = 0; j < o_.donors.size(); ++j) add(o_.donors[j], inputs.size() + j);
  return pool;
}

// Among the candidate faces that show someone else, the one whose pose is closest to this input's.
// Candidates are the donor files' faces when there are donor files, else the other inputs'.
const Donor* Synthesizer::pick_donor(size_t input, size_t inputs, const std::vector<PoolFace>& pool) const {
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
    const bool candidate = o_.donors.empty() ? p.input != input && p.input < inputs : p.input >= inputs;
    if (!candidate || faces::embedding_distance(p.embedding, identity) <= o_.other_person) continue;
    const double d = shape_distance(p.donor.landmarks, first->donor.landmarks);
    if (!best || d < best_d) best = &p, best_d = d;
  }
  return best ? &best->donor : nullptr;
}

SynthItem Synthesizer::make(const std::filesystem::path& input, const std::filesystem::path& out_dir,
                             const Donor* donor) const {
  const auto started = std::chrono::steady_clock::now();
  const std::string stem = input.stem().string();
  SynthItem item;
  item.file = out_dir / (stem + "." + method_name(o_.method) + ".mp4");
  item.original = out_dir / (stem + ".original.mp4");
  item.derived_from = input, item.method = o_.method, item.seed = o_.seed;
  if (donor) item.donor = donor->source;
  Rng rng = clip_rng(o_.seed, input.filename().string());
  const ClipParams params = draw_clip(o_.method, rng);
  item.params = to_json(params);
  FrameReader reader(input);
  H264Writer fake(item.file, reader.size(), reader.fps(), o_.crf), real(item.original, reader.size(), reader.fps(), o_.crf);
  for (cv::Mat frame; reader.next(frame); ++item.frames) {
    real.write(frame);
    const auto found = faces_.analyze(frame, o_.min_face_score, false);
    const auto* face = largest(found);
    if (!face) {
      fake.write(frame);
      continue;
    }
    fake.write(manipulate(frame, face->landmarks, params, donor));
    ++item.faces_changed;
  }
  fake.close(), real.close();
  item.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return item;
}

std::vector<SynthItem> Synthesizer::run(const std::vector<std::filesystem::path>& inputs,
                                        const std::filesystem::path& out_dir,
                                        const std::function<void(const SynthItem&)>& done) {
  std::filesystem::create_directories(out_dir);
  const std::vector<PoolFace> pool = needs_donor(o_.method) ? donor_pool(inputs) : std::vector<PoolFace>{};
  std::vector<SynthItem> items;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Donor* donor = nullptr;
    if (needs_donor(o_.method)) {
      donor = pick_donor(i, inputs.size(), pool);
      if (!donor)
        throw InvalidInput(std::string(method_name(o_.method)) + " needs a donor face of someone else: no " +
                           (o_.donors.empty() ? "other input" : "donor file") + " shows another person than " +
                           inputs[i].filename().string() + " (or it shows no face)");
    }
    items.push_back(make(inputs[i], out_dir, donor));
    if (items.back().faces_changed == 0)
      throw InvalidInput("no face found in " + inputs[i].filename().string() + ": nothing to manipulate");
    core::logger("synth")->info("{}: {} frames, {} faces changed, {:.1f} s", items.back().file.filename().string(),
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
