// The training recipe on synthetic crops (no shared data): the epoch sampler's self-blended pairs and
// source weights, per-face labels from derived-from pairs, and a real-only source trained next to a
// fake-only one.
#include "dataset/snapshot.hpp"
#include "retrain/batch_loader.hpp"
#include "retrain/changed_faces.hpp"
#include "retrain/metrics.hpp"
#include "retrain/training.hpp"
#include "synth/self_blend.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <map>
#include <set>

using namespace curator;
namespace fs = std::filesystem;

namespace {

// 68 landmarks of an upright face filling the middle of a crop, as shares of its side: the jaw on a lower
// ellipse, brows, nose, eyes and mouth inside it.
std::vector<float> face_landmarks(float cx = 0.5f, float cy = 0.52f, float r = 0.3f) {
  std::vector<float> out;
  auto add = [&](float x, float y) { out.push_back(cx + r * x), out.push_back(cy + r * y); };
  for (int i = 0; i < 17; ++i) { // jaw: from ear to ear under the face
    const double a = M_PI * (1.0 - i / 16.0);
    add(static_cast<float>(std::cos(a)), static_cast<float>(0.2 + 0.8 * std::sin(a)));
  }
  for (int i = 0; i < 10; ++i) add(-0.8f + 0.18f * i, -0.55f); // brows
  for (int i = 0; i < 9; ++i) add(0.0f, -0.35f + 0.06f * i);   // nose
  for (int i = 0; i < 12; ++i) add((i < 6 ? -0.4f : 0.4f) + 0.1f * std::cos(i), -0.3f + 0.05f * std::sin(i)); // eyes
  for (int i = 0; i < 20; ++i) add(0.35f * static_cast<float>(std::cos(2 * M_PI * i / 20)), 0.45f + 0.1f * static_cast<float>(std::sin(2 * M_PI * i / 20)));
  return out; // 17 + 10 + 9 + 12 + 20 = 68 points
}

retrain::Sample sample(const std::string& source, int label, int64_t video, bool landmarks = true) {
  retrain::Sample s;
  s.crop = source + "-" + std::to_string(video) + ".jpg";
  s.label = label, s.source = source, s.video = video;
  if (landmarks) s.landmarks = face_landmarks();
  return s;
}

} // namespace

TEST_CASE("the epoch sampler pairs self-blends with their reals and weighs sources by the root of their size", "[training]") {
  REQUIRE(face_landmarks().size() == 136);
  std::vector<retrain::Sample> all;
  for (int v = 0; v < 100; ++v) all.push_back(sample("big", v % 2, v));       // both classes, 100 videos
  for (int v = 100; v < 104; ++v) all.push_back(sample("small", 0, v));      // real only, 4 videos
  for (int v = 200; v < 204; ++v) all.push_back(sample("fakes", 1, v, false)); // fake only, no landmarks
  retrain::EpochOptions o;
  o.sbi = 0.5, o.sqrt_weights = true;
  const auto epoch = retrain::balanced_epoch(all, 20000, 1, 1, o);
  std::map<std::string, std::map<std::string, int>> count; // source -> kind -> samples
  for (size_t i = 0; i < epoch.size(); ++i) {
    const auto& s = epoch[i];
    if (s.pair == retrain::PairPart::real) {
      REQUIRE(i + 1 < epoch.size());
      CHECK(epoch[i + 1].pair == retrain::PairPart::blend); // each blend right after its real
      CHECK(epoch[i + 1].crop == s.crop);
      CHECK(s.label == 0);
      CHECK(epoch[i + 1].label == 1);
    }
    if (s.pair == retrain::PairPart::blend) REQUIRE((i > 0 && epoch[i - 1].pair == retrain::PairPart::real));
    auto& c = count[s.source];
    c[s.label ? "fake" : "real"]++;
    if (s.pair == retrain::PairPart::blend) c["blend"]++;
  }
  // Sources drawn by sqrt(videos): 10 : 2 : 2 (a pair is one draw of two samples).
  auto draws = [&](const std::string& source) {
    auto& c = count[source];
    return static_cast<double>(c["real"] + c["fake"] - c["blend"]);
  };
  const double big = count["big"]["real"] + count["big"]["fake"], small = count["small"]["real"] + count["small"]["fake"];
  INFO("draws: big " << draws("big") << ", small " << draws("small") << ", fakes " << draws("fakes"));
  CHECK(draws("big") / (draws("big") + draws("small") + draws("fakes")) == Approx(10.0 / 14).margin(0.03));
  CHECK(draws("small") / draws("fakes") == Approx(1.0).margin(0.15));
  // Labels balanced where both exist or can be made; half the positives self-blended where there are fakes.
  CHECK(count["big"]["fake"] / big == Approx(0.5).margin(0.03));
  CHECK(count["big"]["blend"] / static_cast<double>(count["big"]["fake"]) == Approx(0.5).margin(0.04));
  CHECK(count["small"]["fake"] / small == Approx(0.5).margin(0.01)); // a real-only source: only pairs
  CHECK(count["small"]["blend"] == count["small"]["fake"]);
  CHECK(count["fakes"]["real"] == 0); // nothing to blend: a one-class source keeps its class
  // Without SBI: no pairs, the fake-only and real-only sources keep one class each.
  const auto plain = retrain::balanced_epoch(all, 2000, 1, 1);
  for (const auto& s : plain) {
    CHECK(s.pair == retrain::PairPart::none);
    if (s.source == "small") CHECK(s.label == 0);
  }
}

TEST_CASE("faces a fake shows as its original did are left out of the positives", "[training]") {
  test::TempDir dir;
  cv::RNG rng(5);
  auto texture = [&] {
    cv::Mat m(224, 224, CV_8UC3);
    rng.fill(m, cv::RNG::UNIFORM, 0, 256);
    cv::GaussianBlur(m, m, {0, 0}, 2.0);
    return m;
  };
  auto write = [&](const std::string& name, const cv::Mat& m) {
    REQUIRE(cv::imwrite((dir / name).string(), m, {cv::IMWRITE_JPEG_QUALITY, 95}));
  };
  auto item = [](const std::string& crop, const std::string& label, int64_t video, int track, int frame,
                 std::vector<float> lm, std::vector<int64_t> from = {}) {
    dataset::ManifestItem m;
    m.crop = crop, m.label = label, m.source = "s", m.split = "train", m.video = video, m.track = track, m.frame = frame;
    m.landmarks = std::move(lm), m.derived_from = std::move(from);
    return m;
  };
  const auto left = face_landmarks(0.3f, 0.5f, 0.2f), right = face_landmarks(0.7f, 0.5f, 0.2f);
  const cv::Mat a = texture(), b = texture();
  write("orig-a.jpg", a), write("orig-b.jpg", b);
  cv::Mat changed = a.clone();
  cv::circle(changed, {67, 112}, 30, cv::Scalar(255, 0, 0), -1); // the swapped face: other pixels in its hull
  write("fake-a.jpg", changed);
  write("fake-b.jpg", b); // the second face: as in the original (re-encoded)
  write("other.jpg", b);
  const std::vector<dataset::ManifestItem> items = {
      item("orig-a.jpg", "real", 1, 0, 10, left),         item("orig-b.jpg", "real", 1, 1, 10, right),
      item("fake-a.jpg", "fake", 2, 0, 10, left, {1}),    item("fake-b.jpg", "fake", 2, 1, 10, right, {1}),
      item("other.jpg", "fake", 3, 0, 10, right),         // no original: the whole fake is the label
      item("fake-b.jpg", "fake", 4, 0, 11, right, {1}),   // its original has no face in that frame
  };
  const auto keep = retrain::changed_faces(items, dir.path());
  REQUIRE(keep.size() == items.size());
  CHECK(keep[0]);
  CHECK(keep[1]);
  CHECK(keep[2]);   // changed: a positive
  CHECK(!keep[3]);  // unchanged: left out
  CHECK(keep[4]);
  CHECK(keep[5]);
}

namespace {

// Crops of two made-up sources that differ only in colour: "reals" (blue-tinted texture, real only) and
// "fakes" (red-tinted, fake only: the colour is all that tells them apart, a pure source cue), plus held-out
// reals of the real-only source's look and held-out self-blends of such reals (other images, other draws):
// manipulated faces in the real-only source's look.
struct ConfoundedData {
  test::TempDir dir;
  std::vector<dataset::ManifestItem> items;
};

cv::Mat tinted_texture(cv::RNG& rng, const cv::Scalar& tint) {
  cv::Mat m(96, 96, CV_8UC3);
  rng.fill(m, cv::RNG::UNIFORM, 0, 150); // + the tint stays under 255: no clipping changes the texture
  cv::GaussianBlur(m, m, {0, 0}, 0.7);
  m += tint;
  return m;
}

ConfoundedData& confounded() {
  static ConfoundedData d;
  if (!d.items.empty()) return d;
  cv::RNG rng(11);
  const auto lm = face_landmarks();
  int64_t video = 0;
  auto add = [&](const cv::Mat& img, const std::string& source, const std::string& label, const std::string& split) {
    const std::string name = "c" + std::to_string(video) + ".jpg";
    REQUIRE(cv::imwrite((d.dir / name).string(), img, {cv::IMWRITE_JPEG_QUALITY, 95}));
    dataset::ManifestItem m;
    m.crop = name, m.label = label, m.source = source, m.split = split, m.video = video++, m.landmarks = lm;
    d.items.push_back(m);
  };
  const cv::Scalar blue(0, 0, 90), red(90, 0, 0); // RGB crops are written as BGR files: the tint only has to differ
  for (int i = 0; i < 32; ++i) add(tinted_texture(rng, blue), "reals", "real", "train");
  for (int i = 0; i < 32; ++i) add(tinted_texture(rng, red), "fakes", "fake", "train");
  for (int i = 0; i < 24; ++i) add(tinted_texture(rng, blue), "heldout", "real", "test");
  std::mt19937_64 draws(99);
  for (int i = 0; i < 24; ++i) {
    faces::Landmarks68 points;
    for (size_t k = 0; k < points.size(); ++k) points[k] = {lm[2 * k] * 96, lm[2 * k + 1] * 96};
    add(synth::self_blend(tinted_texture(rng, blue), points, synth::draw_self_blend(draws)).image, "heldout", "fake", "test");
  }
  return d;
}

// The video AUC of held-out blue fakes against held-out blue reals, for a model trained with `sbi`.
double heldout_auc(double sbi, const std::string& name) {
  auto& d = confounded();
  retrain::TrainParams p;
  p.image_size = 32, p.batch = 32, p.steps_per_epoch = 25, p.epochs = 4, p.patience = 100, p.bootstrap = 10;
  p.augment = "mild", p.sbi = sbi, p.seed = 3;
  retrain::TrainJob job{d.dir.path(), "confounded", d.items, d.dir / name, p, test::torch_threads(), 0, nullptr};
  REQUIRE(retrain::train_detector(job).state == "done");
  const auto scores = retrain::score_split(retrain::ModelRef::from_dir(d.dir / name), d.dir.path(), d.items, "test", 2);
  std::vector<double> s;
  std::vector<int> l;
  for (const auto& c : scores) s.push_back(c.p_fake), l.push_back(c.label);
  return retrain::roc_auc(s, l);
}

} // namespace

TEST_CASE("a real-only source trained next to a fake-only one: self-blends make the model look at the face, not the source", "[training]") {
  const double without = heldout_auc(0.0, "no-sbi"), with = heldout_auc(0.5, "sbi");
  INFO("held-out manipulated faces in the real-only source's look, AUC without self-blends " << without << ", with "
                                                                                              << with);
  // Trained on the source cue alone, the real-only source's fakes mostly pass as real; its own self-blends
  // teach what a blend looks like in it.
  // Measured at 32 px (4 epochs of 25 batches): 0.53 without, 0.96 with.
  CHECK(without <= 0.85);
  CHECK(with >= 0.9);
  CHECK(with >= without + 0.3);
}
