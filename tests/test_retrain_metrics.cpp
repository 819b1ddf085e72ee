// Metrics against hand-computed values (ties included), augmentations (labels and shapes kept,
// deterministic under a seed), balanced epochs, training parameters.
#include "core/error.hpp"
#include "retrain/augment.hpp"
#include "retrain/batch_loader.hpp"
#include "retrain/metrics.hpp"
#include "retrain/training.hpp"

#include <catch2/catch.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <map>
#include <random>

using namespace curator;
using Approx = Catch::Detail::Approx;

TEST_CASE("AUC, EER, AP and accuracy match hand-computed values", "[training]") {
  // Fakes at 0.35 and 0.8, reals at 0.1 and 0.4: 3 of the 4 (fake, real) pairs are ordered right.
  const std::vector<double> s = {0.1, 0.4, 0.35, 0.8};
  const std::vector<int> l = {0, 0, 1, 1};
  CHECK(retrain::roc_auc(s, l) == Approx(0.75));
  // Descending: 0.8 (fake) P=1 R=.5; 0.4 (real); 0.35 (fake) P=2/3 R=1 -> AP = .5*1 + .5*2/3.
  CHECK(retrain::average_precision(s, l) == Approx(0.5 + 0.5 * 2.0 / 3.0));
  // ROC (0,0) (0,.5) (.5,.5) (.5,1) (1,1): false positive rate = false negative rate = 0.5.
  CHECK(retrain::equal_error_rate(s, l) == Approx(0.5));
  CHECK(retrain::accuracy(s, l) == Approx(0.75)); // 0.8 right, 0.1 and 0.4 right, 0.35 wrong

  // Ties count one half: fake 0.5 vs reals 0.5, 0.5 -> 0.5 + 0.5; fake 0.9 beats both -> (1 + 2) / 4.
  const std::vector<double> tied = {0.5, 0.5, 0.5, 0.9};
  const std::vector<int> tl = {0, 1, 0, 1};
  CHECK(retrain::roc_auc(tied, tl) == Approx(0.75));
  const auto roc = retrain::roc_curve(tied, tl);
  REQUIRE(roc.size() == 3); // (0,0), then 0.9 alone, then the tied 0.5s move both rates at once
  CHECK(roc[1].fpr == 0);
  CHECK(roc[1].tpr == Approx(0.5));
  CHECK(roc[2].fpr == 1);
  CHECK(roc[2].tpr == 1);
  // AP with the tie: 0.9 -> P 1, R .5; the three 0.5s -> P 2/4, R 1.
  CHECK(retrain::average_precision(tied, tl) == Approx(0.5 * 1 + 0.5 * 0.5));

  // Perfect and inverted rankings; one class only.
  CHECK(retrain::roc_auc({0.1, 0.9}, {0, 1}) == 1.0);
  CHECK(retrain::equal_error_rate({0.1, 0.9}, {0, 1}) == 0.0);
  CHECK(retrain::roc_auc({0.9, 0.1}, {0, 1}) == 0.0);
  CHECK(std::isnan(retrain::roc_auc({0.3, 0.6}, {1, 1})));
}

TEST_CASE("the AUC of a draw by copies equals the AUC of the drawn items, ties and missing classes included", "[training]") {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> level(0, 9); // ten score levels: many ties
  std::uniform_int_distribution<int> coin(0, 1);
  for (int trial = 0; trial < 200; ++trial) {
    const size_t n = 1 + static_cast<size_t>(trial % 40);
    std::vector<double> scores;
    std::vector<int> labels;
    for (size_t i = 0; i < n; ++i) scores.push_back(level(rng) / 10.0), labels.push_back(coin(rng));
    const retrain::DrawnAuc drawn(scores, labels);
    std::uniform_int_distribution<size_t> item(0, n - 1);
    std::vector<uint32_t> copies(n, 0);
    std::vector<double> s;
    std::vector<int> l;
    for (size_t k = 0; k < n; ++k) {
      const size_t i = item(rng);
      ++copies[i], s.push_back(scores[i]), l.push_back(labels[i]);
    }
    const double expected = retrain::roc_auc(s, l), got = drawn.auc(copies);
    INFO("trial " << trial);
    if (std::isnan(expected)) CHECK(std::isnan(got));
    else CHECK(got == Approx(expected).margin(1e-12));
  }
  CHECK(retrain::DrawnAuc({0.1, 0.9}, {0, 1}).auc({1, 1}) == 1.0);
  CHECK(retrain::DrawnAuc({0.5, 0.5}, {0, 1}).auc({3, 1}) == 0.5);
  CHECK(std::isnan(retrain::DrawnAuc({0.1, 0.9}, {0, 1}).auc({0, 2})));
  CHECK_THROWS_AS(retrain::DrawnAuc({std::nan("")}, {1}), InvalidInput);
}

TEST_CASE("video probabilities: the mean and the DFDC confident strategy", "[training]") {
  std::vector<double> p(20, 0.1);
  for (int i = 0; i < 12; ++i) p[i] = 0.9; // 12 > 20 / 2.5 and > 11 confident fake frames
  CHECK(retrain::confident_strategy(p) == Approx(0.9));
  CHECK(retrain::mean_probability(p) == Approx((12 * 0.9 + 8 * 0.1) / 20));
  std::vector<double> real(10, 0.05);
  real[0] = 0.6; // 9 of 10 under 0.2 is not over 90%: the plain mean
  CHECK(retrain::confident_strategy(real) == Approx((9 * 0.05 + 0.6) / 10));
  real[0] = 0.1; // all under 0.2
  CHECK(retrain::confident_strategy(real) == Approx((9 * 0.05 + 0.1) / 10));
}

TEST_CASE("bootstrap intervals bracket the value", "[training]") {
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0, 0.25);
  std::vector<double> s;
  std::vector<int> l;
  for (int i = 0; i < 300; ++i) {
    l.push_back(i % 2);
    s.push_back(1 / (1 + std::exp(-(l.back() ? 0.6 : -0.6) - noise(rng))));
  }
  const auto j = retrain::summarize(s, l, 300, 7);
  for (const char* m : {"auc", "eer", "ap", "accuracy"}) {
    INFO(m);
    const double v = j[m]["value"], lo = j[m]["low"], hi = j[m]["high"];
    CHECK(lo <= v);
    CHECK(v <= hi);
    CHECK(hi - lo < 0.3);
  }
  CHECK(j["n"] == 300);
  CHECK(j["roc"].size() >= 3);
  CHECK(j == retrain::summarize(s, l, 300, 7)); // seeded
}

TEST_CASE("augmentations keep shapes, are seeded, and change the picture", "[training]") {
  cv::Mat img(96, 96, CV_8UC3);
  cv::randu(img, 0, 255);
  cv::rectangle(img, {20, 20, 40, 40}, {255, 0, 0}, -1);
  retrain::AugmentOptions o;
  std::mt19937 a(5), b(5), c(6);
  const cv::Mat x = retrain::augment(img, o, a), y = retrain::augment(img, o, b), z = retrain::augment(img, o, c);
  CHECK(x.size() == img.size());
  CHECK(x.type() == CV_8UC3);
  CHECK(cv::norm(x, y, cv::NORM_INF) == 0);
  CHECK(cv::norm(x, z, cv::NORM_INF) > 0);
  CHECK(cv::norm(x, img, cv::NORM_INF) > 0);
  std::vector<float> chw(3 * 32 * 32);
  cv::Mat grey(10, 10, CV_8UC3, cv::Scalar(124, 116, 104)); // close to the ImageNet mean
  retrain::to_chw(grey, 32, chw.data());
  CHECK(std::abs(chw[0]) < 0.02f);
  CHECK(std::abs(chw[32 * 32]) < 0.02f);
}

TEST_CASE("a detail limit removes what is finer than it and keeps the coarse picture", "[training]") {
  // One-pixel stripes on a dark left half and a bright right half.
  cv::Mat img(64, 64, CV_8UC3);
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) img.at<cv::Vec3b>(y, x) = cv::Vec3b::all(static_cast<uint8_t>((x < 32 ? 40 : 200) + (x % 2) * 40));
  std::vector<float> full(3 * 64 * 64), limited(3 * 64 * 64);
  retrain::to_chw(img, 64, full.data(), retrain::InputNorm::half);
  retrain::to_chw(img, 64, limited.data(), retrain::InputNorm::half, 16);
  auto stripe_contrast = [](const std::vector<float>& v, int x) { return std::abs(v[10 * 64 + x + 1] - v[10 * 64 + x]); };
  CHECK(stripe_contrast(full, 8) > 0.25f);     // the stripes are there at full detail...
  CHECK(stripe_contrast(limited, 8) < 0.02f); // ...and gone at 16 px
  CHECK(limited[10 * 64 + 4] < limited[10 * 64 + 60] - 0.5f); // the halves still differ
}

TEST_CASE("balanced epochs: sources alike, labels balanced within each source, from the seed", "[training]") {
  std::vector<retrain::Sample> samples;
  for (int i = 0; i < 100; ++i) samples.push_back({"a" + std::to_string(i), 0, "ffpp", i, 0});
  for (int i = 0; i < 10; ++i) samples.push_back({"b" + std::to_string(i), 1, "ffpp", 100 + i, 0});
  for (int i = 0; i < 5; ++i) samples.push_back({"c" + std::to_string(i), 1, "youtube", 200 + i, 0});
  const auto e1 = retrain::balanced_epoch(samples, 4000, 9, 1);
  std::map<std::string, int> count;
  for (const auto& s : e1) count[s.source + std::to_string(s.label)]++;
  // Half the draws per source; within ffpp half real, half fake; youtube has fakes only.
  CHECK(std::abs(count["ffpp0"] - 1000) < 120);
  CHECK(std::abs(count["ffpp1"] - 1000) < 120);
  CHECK(std::abs(count["youtube1"] - 2000) < 150);
  CHECK(count.count("youtube0") == 0);
  CHECK(retrain::one_class_sources(samples) == std::vector<std::string>{"youtube"});
  const auto again = retrain::balanced_epoch(samples, 4000, 9, 1), e2 = retrain::balanced_epoch(samples, 4000, 9, 2);
  CHECK(again.size() == e1.size());
  bool same = true, differs = false;
  for (size_t i = 0; i < e1.size(); ++i) {
    same &= again[i].crop == e1[i].crop;
    differs |= e2[i].crop != e1[i].crop;
  }
  CHECK(same);
  CHECK(differs);
}

TEST_CASE("frame-level intervals draw whole videos", "[training]") {
  // 20 videos of 30 frames: a video's frames share its score. Treating frames as independent would claim
  // 600 samples' worth of certainty; drawing videos keeps the 20 videos' uncertainty.
  std::mt19937 rng(5);
  std::normal_distribution<double> noise(0, 0.3);
  std::vector<double> s;
  std::vector<int> l;
  std::vector<std::string> video;
  for (int v = 0; v < 20; ++v) {
    const double score = 1 / (1 + std::exp(-((v % 2 ? 0.3 : -0.3) + noise(rng))));
    for (int f = 0; f < 30; ++f) s.push_back(score), l.push_back(v % 2), video.push_back(std::to_string(v));
  }
  const auto frames = retrain::summarize(s, l, 400, 3);
  const auto videos = retrain::summarize(s, l, 400, 3, video);
  const double narrow = frames["auc"]["high"].get<double>() - frames["auc"]["low"].get<double>();
  const double wide = videos["auc"]["high"].get<double>() - videos["auc"]["low"].get<double>();
  INFO("by frame " << narrow << ", by video " << wide);
  CHECK(frames["auc"]["value"] == videos["auc"]["value"]);
  CHECK(wide > 2 * narrow);
}

TEST_CASE("metrics refuse non-finite scores instead of looping or ranking them", "[training]") {
  const std::vector<int> labels{0, 1, 0, 1};
  for (double bad : {std::nan(""), double(INFINITY), -double(INFINITY)}) {
    const std::vector<double> scores{0.1, bad, 0.3, 0.9};
    CHECK_THROWS_AS(retrain::roc_auc(scores, labels), InvalidInput);
    CHECK_THROWS_AS(retrain::roc_curve(scores, labels), InvalidInput);
    CHECK_THROWS_AS(retrain::average_precision(scores, labels), InvalidInput);
    CHECK_THROWS_AS(retrain::summarize(scores, labels, 10), InvalidInput);
  }
}

TEST_CASE("training parameters round-trip through JSON and refuse what they cannot train", "[training]") {
  retrain::TrainParams p;
  p.backbone = "xception";
  p.hidden = 256;
  p.lr = 3e-4;
  CHECK(retrain::TrainParams::from_json(p.to_json()).to_json() == p.to_json());
  CHECK(retrain::TrainParams::from_json(nlohmann::json::object()).backbone == "resnet18"); // older cards
  for (const char* bad : {R"({"backbone": "vgg16"})", R"({"lr": 0})", R"({"epochs": "five"})", R"({"colour": 1})",
                          R"({"optimizer": "rmsprop"})", R"([1, 2])"}) {
    INFO(bad);
    CHECK_THROWS_AS(retrain::TrainParams::from_json(nlohmann::json::parse(bad)), InvalidInput);
  }
}
