// face-api ports against the golden outputs computed by the package's own JavaScript
// (shared/reference/face-api) and against the weight-format rules.
#include "core/error.hpp"
#include "ingest/faces/chips.hpp"
#include "ingest/faces/image_ops.hpp"
#include "ingest/faces/landmark_net.hpp"
#include "ingest/faces/recognition_net.hpp"
#include "ingest/faces/ssd_detector.hpp"
#include "ingest/faces/tfjs_weights.hpp"
#include "ingest/faces/torch_ops.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_data.hpp"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

using namespace curator;
namespace fs = std::filesystem;

namespace {

fs::path models_dir() {
  auto dir = test::required_env_path("CURATOR_MODELS_DIR");
  if (!fs::exists(dir / "model" / "face_recognition_model-weights_manifest.json"))
    FAIL("face models missing in " << dir.string() << ": run ops/setup.sh to fetch them");
  return dir / "model";
}

// Callers check that shared/reference exists first.
nlohmann::json golden(const fs::path& ref) {
  return nlohmann::json::parse(test::read_file(ref / "face-api" / "golden-pipeline.json"));
}

} // namespace

TEST_CASE("tfjs manifests: quantized and float tensors, sizes checked", "[faces]") {
  test::TempDir dir;
  // Two tensors: 3 uint8-quantized values and 2 float32 values, over two shards.
  std::ofstream(dir / "m-weights_manifest.json") << R"([{"paths": ["a.bin", "b.bin"], "weights": [
      {"name": "q", "shape": [3], "dtype": "float32", "quantization": {"dtype": "uint8", "min": -1.0, "scale": 0.5}},
      {"name": "f", "shape": [1, 2], "dtype": "float32"}]},
     {"paths": ["c.bin"], "weights": [
      {"name": "w", "shape": [2], "dtype": "float32", "quantization": {"dtype": "uint16", "min": 0.0, "scale": 0.25}}]}])";
  const unsigned char q[3] = {0, 2, 255};
  const float f[2] = {1.5f, -2.25f};
  std::ofstream a(dir / "a.bin", std::ios::binary);
  a.write(reinterpret_cast<const char*>(q), 3);
  a.write(reinterpret_cast<const char*>(f), 4); // the first float straddles the shard boundary
  a.close();
  std::ofstream(dir / "b.bin", std::ios::binary).write(reinterpret_cast<const char*>(f) + 4, 4);
  const uint16_t q16[2] = {4, 65535};
  std::ofstream(dir / "c.bin", std::ios::binary).write(reinterpret_cast<const char*>(q16), 4);
  auto w = faces::TfjsWeights::load(dir / "m-weights_manifest.json");
  CHECK(w.get("w").values == std::vector<float>{1.0f, 16383.75f});
  CHECK(w.get("q").values == std::vector<float>{-1.0f, 0.0f, 126.5f});
  CHECK(w.get("f", {1, 2}).values == std::vector<float>{1.5f, -2.25f});
  CHECK_THROWS_AS(w.get("f", {2}), InvalidInput);
  CHECK_THROWS_AS(w.get("absent"), InvalidInput);

  std::ofstream(dir / "b.bin", std::ios::binary).write("x", 1); // short shard
  try {
    faces::TfjsWeights::load(dir / "m-weights_manifest.json");
    FAIL("a short shard was accepted");
  } catch (const InvalidInput& e) {
    CHECK_THAT(e.what(), Catch::Contains("b.bin") && Catch::Contains("bytes"));
  }
  fs::remove(dir / "b.bin");
  CHECK_THROWS_AS(faces::TfjsWeights::load(dir / "m-weights_manifest.json"), NotFound);
  std::ofstream(dir / "bad-weights_manifest.json") << "{not json";
  CHECK_THROWS_AS(faces::TfjsWeights::load(dir / "bad-weights_manifest.json"), InvalidInput);
}

TEST_CASE("the shipped models load with the documented sizes", "[faces]") {
  auto dir = models_dir();
  auto rec = faces::TfjsWeights::load(dir / "face_recognition_model-weights_manifest.json");
  int64_t params = 0;
  for (const char* name : {"conv32_down/conv/filters", "conv256_down_out/conv2/conv/filters", "fc"})
    params += rec.get(name).numel();
  CHECK(rec.size() == 117);
  CHECK(rec.get("fc").shape == std::vector<int64_t>{256, 128});
  CHECK(params == 7 * 7 * 3 * 32 + 3 * 3 * 256 * 256 + 256 * 128);
  auto ssd = faces::TfjsWeights::load(dir / "ssd_mobilenetv1_model-weights_manifest.json");
  CHECK(ssd.get("Output/extra_dim").shape == std::vector<int64_t>{1, 5118, 4});
  auto lm = faces::TfjsWeights::load(dir / "face_landmark_68_model-weights_manifest.json");
  CHECK(lm.get("fc/weights").shape == std::vector<int64_t>{256, 136});
}

TEST_CASE("recognition descriptors match golden from the golden inputs", "[faces]") {
  CURATOR_SHARED_REFERENCE(ref);
  auto g = golden(ref);
  const auto raw = test::read_file(ref / "face-api" / "recognition-inputs.f32");
  const size_t per_face = 150 * 150 * 3;
  const size_t n = g.size();
  REQUIRE(raw.size() == n * per_face * sizeof(float));
  std::vector<cv::Mat> chips;
  for (size_t i = 0; i < n; ++i) {
    cv::Mat chip(150, 150, CV_32FC3);
    std::memcpy(chip.data, raw.data() + i * per_face * sizeof(float), per_face * sizeof(float));
    chips.push_back(chip);
  }
  faces::RecognitionNet net(models_dir());
  auto out = net.embed(chips);
  REQUIRE(out.size() == n);
  double worst = 0;
  for (size_t i = 0; i < n; ++i) {
    auto expected = g[i]["descriptor"].get<std::vector<float>>();
    for (size_t j = 0; j < 128; ++j) worst = std::max(worst, std::fabs(double(out[i][j]) - expected[j]));
  }
  INFO("largest descriptor difference " << worst);
  CHECK(worst <= 1e-4);
  // A batch of one gives the same answer as the batch.
  auto single = net.embed({chips[3]});
  CHECK(faces::embedding_distance(single[0], out[3]) < 1e-5);
}

namespace {
cv::Mat load_rgb(const fs::path& p) {
  cv::Mat bgr = cv::imread(p.string(), cv::IMREAD_COLOR);
  REQUIRE_FALSE(bgr.empty());
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}
faces::FaceBox box_of(const nlohmann::json& j) {
  return {j[0].get<float>(), j[1].get<float>(), j[2].get<float>(), j[3].get<float>(), 0};
}
} // namespace

TEST_CASE("the SSD detector finds every golden face on the demo photos and nothing else", "[faces]") {
  CURATOR_SHARED_REFERENCE(ref);
  auto g = golden(ref);
  faces::SsdDetector detector(models_dir());
  double worst_iou = 1;
  int found = 0;
  for (int img = 1; img <= 6; ++img) {
    auto rgb = load_rgb(models_dir().parent_path() / "demo" / ("sample" + std::to_string(img) + ".jpg"));
    auto boxes = detector.detect(rgb, 0.5f);
    std::vector<nlohmann::json> expected;
    for (const auto& face : g)
      if (face["img"] == img) expected.push_back(face);
    INFO("sample" << img << ".jpg: " << boxes.size() << " detected, " << expected.size() << " golden");
    CHECK(boxes.size() == expected.size());
    for (const auto& e : expected) {
      float best = 0;
      for (const auto& b : boxes) best = std::max(best, b.iou(box_of(e["box"])));
      worst_iou = std::min(worst_iou, double(best));
      if (best >= 0.9f) ++found;
      CHECK(best >= 0.9f);
    }
  }
  INFO("worst IoU " << worst_iou);
  CHECK(found == static_cast<int>(g.size()));
}

TEST_CASE("images resized to the nets' inputs: TF's legacy bilinear on the zero-padded square, value for value", "[faces]") {
  // The reference: the image as float CHW pasted into a zero square, through tf::resize_bilinear_legacy.
  auto reference = [](const cv::Mat& rgb, int size, bool centre) {
    cv::Mat f;
    rgb.convertTo(f, CV_32FC3);
    const auto chw = torch::from_blob(f.data, {f.rows, f.cols, 3}, torch::kFloat32).permute({2, 0, 1});
    const int64_t side = std::max(f.rows, f.cols), diff = side - std::min(f.rows, f.cols);
    const int64_t before = diff - (centre ? static_cast<int64_t>(std::round(diff * 0.5)) : diff);
    auto square = torch::zeros({3, side, side});
    using torch::indexing::Slice;
    if (f.rows < f.cols) square.index_put_({Slice(), Slice(before, before + f.rows), Slice()}, chw);
    else square.index_put_({Slice(), Slice(), Slice(before, before + f.cols)}, chw);
    return side == size ? square : faces::tf::resize_bilinear_legacy(square, size, size);
  };
  cv::Mat noise(23, 37, CV_8UC3);
  cv::randu(noise, 0, 256);
  const auto photo = load_rgb(models_dir().parent_path() / "demo" / "sample1.jpg");
  cv::Mat tall, wide;
  cv::resize(photo, wide, cv::Size(1280, 720));
  cv::transpose(noise, tall);
  for (const cv::Mat& img : {noise, tall, wide, photo})
    for (int size : {112, 150, 512})
      for (bool centre : {true, false}) {
        INFO(img.cols << "x" << img.rows << " to " << size << (centre ? ", centred" : ", at the top left"));
        CHECK(torch::equal(faces::square_resized_chw(img, size, centre), reference(img, size, centre)));
      }
  const cv::Mat part = noise(cv::Rect(3, 0, 23, 23)); // a view into a larger image, already the output size
  CHECK(torch::equal(faces::square_resized_chw(part, 23, true), reference(part, 23, true)));
  CHECK_THROWS_AS(faces::square_resized_chw(cv::Mat(4, 4, CV_8UC1), 8, true), InvalidInput);
}

TEST_CASE("the detector in a window of its input: the pixels of the full input, the faces detect() finds", "[faces]") {
  faces::SsdDetector detector(models_dir()); // its constructor checks the anchor generator against the model's
  CHECK(detector.anchors(512).size() == 5118);
  CHECK(detector.anchors(192).size() == 12 * 12 * 3 + (6 * 6 + 3 * 3 + 2 * 2 + 1 + 1) * 6);
  CHECK_THROWS_AS(detector.anchors(100), InvalidInput);
  int faces_seen = 0, close = 0;
  for (int img = 1; img <= 6; ++img) {
    auto rgb = load_rgb(models_dir().parent_path() / "demo" / ("sample" + std::to_string(img) + ".jpg"));
    INFO("sample" << img << ".jpg");
    const auto whole = faces::square_resized_chw(rgb, 512, false);
    for (const cv::Rect win : {cv::Rect(0, 0, 512, 512), cv::Rect(64, 128, 192, 192), cv::Rect(320, 256, 192, 256)})
      CHECK(torch::equal(faces::square_resized_window_chw(rgb, 512, win),
                         whole.slice(1, win.y, win.y + win.height).slice(2, win.x, win.x + win.width)));
    const auto full = detector.detect(rgb, 0.5f);
    const auto near = detector.detect_near(rgb, full, 2.0f, 0.5f);
    REQUIRE(near.size() == full.size());
    for (size_t i = 0; i < full.size(); ++i) {
      float best = 0;
      for (const auto& b : near[i]) best = std::max(best, b.iou(full[i]));
      CHECK(best >= 0.8f); // issue 18's bar for a fast-path box
      close += best >= 0.9f ? 1 : 0;
      ++faces_seen;
    }
  }
  CHECK(faces_seen >= 10);
  CHECK(close >= faces_seen * 9 / 10); // measured: all but two of the demo photos' faces above 0.9
}

namespace {
faces::Landmarks68 landmarks_of(const nlohmann::json& j) {
  faces::Landmarks68 out;
  for (int k = 0; k < 68; ++k) out[k] = cv::Point2f(j[k][0].get<float>(), j[k][1].get<float>());
  return out;
}
double mean_distance(const faces::Landmarks68& a, const faces::Landmarks68& b) {
  double s = 0;
  for (int k = 0; k < 68; ++k) s += cv::norm(a[k] - b[k]);
  return s / 68;
}
} // namespace

TEST_CASE("landmarks, chips and descriptors of the full pipeline match golden", "[faces]") {
  CURATOR_SHARED_REFERENCE(ref);
  auto g = golden(ref);
  const auto raw = test::read_file(ref / "face-api" / "recognition-inputs.f32");
  faces::SsdDetector detector(models_dir());
  faces::LandmarkNet landmark_net(models_dir());
  faces::RecognitionNet recognition(models_dir());
  double worst_landmarks = 0, worst_chip = 0, worst_descriptor = 0;
  for (int img = 1; img <= 6; ++img) {
    auto rgb = load_rgb(models_dir().parent_path() / "demo" / ("sample" + std::to_string(img) + ".jpg"));
    auto boxes = detector.detect(rgb, 0.5f);
    auto marks = landmark_net.locate(rgb, boxes);
    std::vector<cv::Mat> chips;
    for (const auto& m : marks) chips.push_back(faces::identity_chip(rgb, m));
    auto descriptors = recognition.embed(chips);
    for (size_t f = 0; f < g.size(); ++f) {
      const auto& e = g[f];
      if (e["img"] != img) continue;
      size_t best = 0;
      for (size_t b = 0; b < boxes.size(); ++b)
        if (boxes[b].iou(box_of(e["box"])) > boxes[best].iou(box_of(e["box"]))) best = b;
      INFO(e["id"].get<std::string>());
      const auto golden_marks = landmarks_of(e["landmarks"]);
      const double d = mean_distance(marks[best], golden_marks);
      worst_landmarks = std::max(worst_landmarks, d);
      CHECK(d <= 2.0);
      // The chip built from golden landmarks is the golden recognition input.
      cv::Mat golden_input(150, 150, CV_32FC3);
      std::memcpy(golden_input.data, raw.data() + f * 67500 * sizeof(float), 67500 * sizeof(float));
      auto rect = faces::descriptor_rect(golden_marks);
      CHECK(cv::Rect2f(rect.x, rect.y, rect.width, rect.height) ==
            cv::Rect2f(e["dlibRect"][0], e["dlibRect"][1], e["dlibRect"][2], e["dlibRect"][3]));
      worst_chip = std::max(worst_chip, cv::norm(faces::identity_chip(rgb, golden_marks), golden_input, cv::NORM_INF));
      auto expected = e["descriptor"].get<std::vector<float>>();
      faces::Embedding golden_desc;
      std::copy(expected.begin(), expected.end(), golden_desc.begin());
      const double dd = faces::embedding_distance(descriptors[best], golden_desc);
      worst_descriptor = std::max(worst_descriptor, dd);
      CHECK(dd <= 0.05);
    }
  }
  WARN("worst mean landmark error " << worst_landmarks << " px; worst chip pixel difference " << worst_chip
                                    << "; worst descriptor distance " << worst_descriptor);
  CHECK(worst_chip <= 0.01);
}

TEST_CASE("training crops are 1.3x squares, padded at the frame edge", "[faces]") {
  cv::Mat img(100, 200, CV_8UC3, cv::Scalar(10, 20, 30));
  auto inside = faces::training_crop(img, {80, 30, 40, 40, 1}, 64);
  CHECK(inside.size() == cv::Size(64, 64));
  CHECK(cv::norm(inside, cv::Mat(64, 64, CV_8UC3, cv::Scalar(10, 20, 30)), cv::NORM_INF) == 0);
  // A face at the left edge: the part outside the frame is black, the face keeps its place.
  auto edge = faces::training_crop(img, {0, 30, 40, 40, 1}, 52, 1.3);
  CHECK(edge.size() == cv::Size(52, 52));
  CHECK(edge.at<cv::Vec3b>(26, 2) == cv::Vec3b(0, 0, 0));
  CHECK(edge.at<cv::Vec3b>(26, 40) == cv::Vec3b(10, 20, 30));
  CHECK_THROWS_AS(faces::training_crop(img, {0, 0, 10, 10, 1}, 0), InvalidInput);
}

TEST_CASE("curator faces prints one JSON line a face, and goes on past bad files", "[faces]") {
  test::TempDir dir;
  const auto sample = models_dir().parent_path() / "demo" / "sample1.jpg";
  cv::imwrite((dir / "blank.png").string(), cv::Mat(120, 160, CV_8UC3, cv::Scalar(128, 128, 128)));
  std::ofstream(dir / "broken.jpg") << "not an image";
  const auto bin = test::required_env_path("CURATOR_BIN").string();
  auto r = test::run({bin, "faces", "--embed", "--set", "faces.models_dir=" + models_dir().parent_path().string(),
                      sample.string(), (dir / "blank.png").string(), (dir / "broken.jpg").string()},
                     {}, dir.path());
  CHECK(r.exit_code == 1); // one file could not be read
  std::istringstream lines(r.out);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(lines, line);) out.push_back(nlohmann::json::parse(line));
  REQUIRE(out.size() == 5);
  for (int i = 0; i < 3; ++i) {
    CHECK(out[i]["image"] == sample.string());
    CHECK(out[i]["box"].size() == 4);
    CHECK(out[i]["landmarks"].size() == 68);
    CHECK(out[i]["embedding"].size() == 128);
    CHECK(out[i]["score"].get<double>() >= 0.5);
  }
  CHECK(out[3]["faces"] == 0);
  CHECK(out[4]["image"] == (dir / "broken.jpg").string());
  CHECK(out[4].contains("error"));

  auto missing = test::run({bin, "faces", "--set", "faces.models_dir=" + (dir / "nowhere").string(), sample.string()},
                           {}, dir.path());
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Catch::Contains("ops/setup.sh"));
}
