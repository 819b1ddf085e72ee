// Mirrors face-api's ssdMobilenetv1 (mobileNetV1.ts, predictionLayer.ts, outputLayer.ts,
// nonMaxSuppression.ts): TF "SAME" convolutions, ReLU6, batch norm with epsilon 0.001, anchors decoded
// with variances 10 (centre) and 5 (size).
#include "ingest/faces/ssd_detector.hpp"

#include "core/error.hpp"
#include "ingest/faces/image_ops.hpp"
#include "ingest/faces/torch_ops.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

namespace curator::faces {

namespace {
constexpr int kInput = 512;
constexpr int kGrid = 64; // windows of the input sit on this grid: its anchors and features line up with the input's
constexpr float kMaxMargin = 2 * kGrid; // a window is at most this much wider than its face (input pixels)
constexpr float kBnEpsilon = 0.0010000000474974513f;
constexpr float kIouThreshold = 0.5f;
} // namespace

struct SsdDetector::Weights {
  struct Pointwise {
    torch::Tensor filter, offset;
  };
  struct Depthwise {
    torch::Tensor filter, bias; // batch norm folded in
  };
  struct Conv {
    torch::Tensor filter, bias;
  };
  Pointwise conv0;
  std::vector<std::pair<Depthwise, Pointwise>> pairs; // mobilenet layers 1..13
  std::vector<Pointwise> prediction;                  // prediction conv_0..7
  std::vector<std::pair<Conv, Conv>> predictors;      // (box encoding, class) 0..5
  torch::Tensor anchors;                              // [5118, 4]
};

namespace {

using W = SsdDetector::Weights;

W load(const TfjsWeights& t) {
  auto pointwise = [&](const std::string& p) {
    return W::Pointwise{tf::conv_filter(t.get(p + "/weights")), tf::tensor(t.get(p + "/convolution_bn_offset"))};
  };
  W w;
  w.conv0 = pointwise("MobilenetV1/Conv2d_0_pointwise");
  for (int i = 1; i <= 13; ++i) {
    const std::string d = "MobilenetV1/Conv2d_" + std::to_string(i) + "_depthwise";
    auto gamma = tf::tensor(t.get(d + "/BatchNorm/gamma"));
    auto beta = tf::tensor(t.get(d + "/BatchNorm/beta"));
    auto mean = tf::tensor(t.get(d + "/BatchNorm/moving_mean"));
    auto var = tf::tensor(t.get(d + "/BatchNorm/moving_variance"));
    auto scale = gamma / torch::sqrt(var + kBnEpsilon);
    W::Depthwise dw{tf::channels_last(tf::depthwise_filter(t.get(d + "/depthwise_weights")) * scale.view({-1, 1, 1, 1})),
                    beta - mean * scale};
    w.pairs.emplace_back(dw, pointwise("MobilenetV1/Conv2d_" + std::to_string(i) + "_pointwise"));
  }
  for (int i = 0; i < 8; ++i) w.prediction.push_back(pointwise("Prediction/Conv2d_" + std::to_string(i) + "_pointwise"));
  for (int i = 0; i < 6; ++i) {
    const std::string p = "Prediction/BoxPredictor_" + std::to_string(i);
    auto conv = [&](const std::string& n) {
      return W::Conv{tf::conv_filter(t.get(p + "/" + n + "/weights")), tf::tensor(t.get(p + "/" + n + "/biases"))};
    };
    w.predictors.emplace_back(conv("BoxEncodingPredictor"), conv("ClassPredictor"));
  }
  w.anchors = tf::tensor(t.get("Output/extra_dim", {1, 5118, 4})).view({5118, 4});
  return w;
}

torch::Tensor clip6(torch::Tensor x) { return x.clamp_(0, 6); }

torch::Tensor pointwise(const torch::Tensor& x, const W::Pointwise& p, int stride) {
  return clip6(tf::conv_same(x, p.filter, p.offset, stride));
}

// NCHW predictor output -> [B, anchors, k] in TF's NHWC order.
torch::Tensor to_anchor_rows(const torch::Tensor& x, int64_t k) {
  return x.permute({0, 2, 3, 1}).reshape({x.size(0), -1, k});
}

torch::Tensor preprocess(const cv::Mat& rgb, int size) {
  if (rgb.empty() || rgb.channels() != 3 || rgb.depth() != CV_8U) throw InvalidInput("detector input must be 8-bit RGB");
  // face-api pads to a square at the bottom/right (not centred), then resizes to 512.
  return square_resized_chw(rgb, size, /*centre=*/false) * 0.007843137718737125f - 1.0f;
}

float iou_yxyx(const float* a, const float* b) {
  const float ay0 = std::min(a[0], a[2]), ax0 = std::min(a[1], a[3]), ay1 = std::max(a[0], a[2]), ax1 = std::max(a[1], a[3]);
  const float by0 = std::min(b[0], b[2]), bx0 = std::min(b[1], b[3]), by1 = std::max(b[0], b[2]), bx1 = std::max(b[1], b[3]);
  const float area_a = (ay1 - ay0) * (ax1 - ax0), area_b = (by1 - by0) * (bx1 - bx0);
  if (area_a <= 0 || area_b <= 0) return 0;
  const float inter = std::max(std::min(ay1, by1) - std::max(ay0, by0), 0.f) * std::max(std::min(ax1, bx1) - std::max(ax0, bx0), 0.f);
  return inter / (area_a + area_b - inter);
}

torch::Tensor anchors_for(const W& weights, int input_size); // below, with the anchor layout

} // namespace

SsdDetector::SsdDetector(const std::filesystem::path& model_dir, int max_results)
    : w_(std::make_unique<Weights>(load(TfjsWeights::load(model_dir / "ssd_mobilenetv1_model-weights_manifest.json")))),
      max_results_(max_results) {
  // Smaller inputs rely on the layout the generator assumes: it must rebuild the model's own anchors.
  const auto rebuilt = anchors_for(*w_, kInput);
  if (!torch::allclose(rebuilt, w_->anchors, 0, 1e-5))
    throw InvalidInput("the SSD model's anchors are not laid out as detect_in_squares assumes");
}

SsdDetector::~SsdDetector() = default;

std::vector<FaceBox> SsdDetector::detect(const cv::Mat& rgb, float min_score) const {
  return detect_batch({rgb}, min_score).at(0);
}

namespace {

// Anchor layout of the 512 px model: per predictor layer, its stride in pixels and anchors per cell.
constexpr int kStrides[6] = {16, 32, 64, 128, 256, 512};
constexpr int kPerCell[6] = {3, 6, 6, 6, 6, 6};

int grid_size(int input, int stride) { return (input + stride - 1) / stride; }

torch::Tensor anchors_for(const W& weights, int input_size) {
  if (input_size < 64 || input_size > kInput || input_size % 32 != 0)
    throw InvalidInput("detector input size must be a multiple of 32 between 64 and 512, not " + std::to_string(input_size));
  // Each layer's features answer to faces of a fixed size in pixels, so the anchors keep their size in
  // pixels (taken from the 512 px model's first cell of the layer) and centre on the smaller grid.
  const float* a = weights.anchors.data_ptr<float>();
  std::vector<float> out;
  int64_t first = 0;
  for (int l = 0; l < 6; ++l) {
    const int g512 = grid_size(kInput, kStrides[l]), g = grid_size(input_size, kStrides[l]);
    const float grow = static_cast<float>(kInput) / static_cast<float>(input_size);
    for (int i = 0; i < g; ++i)
      for (int j = 0; j < g; ++j)
        for (int k = 0; k < kPerCell[l]; ++k) {
          const float* r = a + 4 * (first + k);
          const float h = (r[2] - r[0]) * grow, w = (r[3] - r[1]) * grow;
          const float cy = (i + 0.5f) / g, cx = (j + 0.5f) / g;
          out.insert(out.end(), {cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2});
        }
    first += static_cast<int64_t>(g512) * g512 * kPerCell[l];
  }
  return torch::from_blob(out.data(), {static_cast<int64_t>(out.size() / 4), 4}, torch::kFloat32).clone();
}

struct Raw {
  torch::Tensor boxes;  ///< [B, anchors, 4] decoded, normalised ymin, xmin, ymax, xmax
  torch::Tensor scores; ///< [B, anchors]
};

Raw forward(const W& w, const torch::Tensor& input, const torch::Tensor& anchors) {
  torch::Tensor x = pointwise(input, w.conv0, 2);
  torch::Tensor conv11;
  for (size_t i = 0; i < w.pairs.size(); ++i) {
    const int layer = static_cast<int>(i) + 1;
    const int stride = (layer == 2 || layer == 4 || layer == 6 || layer == 12) ? 2 : 1;
    const auto& [dw, pw] = w.pairs[i];
    x = clip6(tf::conv_same(x, dw.filter, dw.bias, stride, x.size(1)));
    x = pointwise(x, pw, 1);
    if (layer == 11) conv11 = x;
  }
  std::vector<torch::Tensor> features(8);
  torch::Tensor y = x;
  for (int i = 0; i < 8; ++i) features[i] = y = pointwise(y, w.prediction[i], i % 2 == 1 ? 2 : 1);
  const torch::Tensor sources[6] = {conv11, x, features[1], features[3], features[5], features[7]};
  std::vector<torch::Tensor> boxes, classes;
  for (int i = 0; i < 6; ++i) {
    const auto& [box, cls] = w.predictors[i];
    boxes.push_back(to_anchor_rows(tf::conv_same(sources[i], box.filter, box.bias, 1), 4));
    classes.push_back(to_anchor_rows(tf::conv_same(sources[i], cls.filter, cls.bias, 1), 3));
  }
  auto enc = torch::cat(boxes, 1);                                           // [B, N, 4]: ty, tx, th, tw
  auto scores = torch::sigmoid(torch::cat(classes, 1).select(2, 1)).contiguous(); // [B, N]
  const auto& a = anchors;
  auto a_h = a.select(1, 2) - a.select(1, 0), a_w = a.select(1, 3) - a.select(1, 1);
  auto a_cy = a.select(1, 0) + a_h / 2, a_cx = a.select(1, 1) + a_w / 2;
  auto cy = enc.select(2, 0) / 10 * a_h + a_cy, cx = enc.select(2, 1) / 10 * a_w + a_cx;
  auto half_h = torch::exp(enc.select(2, 2) / 5) * a_h / 2, half_w = torch::exp(enc.select(2, 3) / 5) * a_w / 2;
  return {torch::stack({cy - half_h, cx - half_w, cy + half_h, cx + half_w}, 2).contiguous(), scores};
}

// Non-maximum suppression of image `b`: (ymin, xmin, ymax, xmax clipped to 0..1, score), best first.
std::vector<std::array<float, 5>> select(const Raw& raw, int64_t b, float min_score, int max_results, bool clip = true) {
  const float* s = raw.scores[b].data_ptr<float>();
  const float* bx = raw.boxes[b].data_ptr<float>();
  const int64_t n = raw.scores.size(1);
  std::vector<int64_t> order;
  for (int64_t i = 0; i < n; ++i)
    if (s[i] > min_score) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](int64_t l, int64_t r) { return s[l] > s[r]; });
  std::vector<int64_t> selected;
  for (int64_t i : order) {
    if (static_cast<int>(selected.size()) >= max_results) break;
    bool keep = true;
    for (int64_t j : selected)
      if (iou_yxyx(bx + 4 * i, bx + 4 * j) > kIouThreshold) {
        keep = false;
        break;
      }
    if (keep) selected.push_back(i);
  }
  std::vector<std::array<float, 5>> out;
  for (int64_t i : selected) {
    const float* r = bx + 4 * i;
    if (clip) out.push_back({std::max(0.f, r[0]), std::max(0.f, r[1]), std::min(1.f, r[2]), std::min(1.f, r[3]), s[i]});
    else out.push_back({r[0], r[1], r[2], r[3], s[i]});
  }
  return out;
}

} // namespace

std::vector<std::array<float, 4>> SsdDetector::anchors(int input_size) const {
  const auto a = anchors_for(*w_, input_size).contiguous();
  std::vector<std::array<float, 4>> out(static_cast<size_t>(a.size(0)));
  std::memcpy(out.data(), a.data_ptr<float>(), out.size() * sizeof(out[0]));
  return out;
}

std::vector<std::vector<FaceBox>> SsdDetector::detect_batch(const std::vector<cv::Mat>& images, float min_score) const {
  if (images.empty()) return {};
  c10::InferenceMode guard;
  std::vector<torch::Tensor> inputs;
  for (const auto& img : images) inputs.push_back(preprocess(img, kInput));
  // preprocess() gives HWC memory: one image is channels-last as it is.
  const auto batch = inputs.size() == 1 ? inputs[0].unsqueeze(0) : torch::stack(inputs);
  const auto raw = forward(*w_, tf::channels_last(batch), w_->anchors);
  std::vector<std::vector<FaceBox>> out(images.size());
  for (size_t b = 0; b < images.size(); ++b) {
    const float w = static_cast<float>(images[b].cols), h = static_cast<float>(images[b].rows);
    const float scale = kInput / std::max(w, h);
    const float pad_x = kInput / std::round(w * scale), pad_y = kInput / std::round(h * scale);
    for (const auto& [top0, left0, bottom0, right0, score] : select(raw, static_cast<int64_t>(b), min_score, max_results_)) {
      const float top = top0 * pad_y, bottom = bottom0 * pad_y, left = left0 * pad_x, right = right0 * pad_x;
      out[b].push_back(FaceBox{left * w, top * h, (right - left) * w, (bottom - top) * h, score});
    }
  }
  return out;
}

std::vector<cv::Rect> SsdDetector::input_windows(const cv::Size& frame, const std::vector<FaceBox>& near, float context) {
  const float to_input = static_cast<float>(kInput) / static_cast<float>(std::max(frame.width, frame.height));
  std::vector<cv::Rect> windows;
  for (const auto& b : near) {
    const float side = std::max(b.width, b.height) * to_input;
    const float want = std::min(context * side, side + kMaxMargin);
    const int size = std::clamp(static_cast<int>(std::ceil(want / kGrid)) * kGrid, 2 * kGrid, kInput);
    auto place = [&](float centre) {
      return std::clamp(static_cast<int>(std::lround((centre * to_input - size / 2.0f) / kGrid)) * kGrid, 0, kInput - size);
    };
    windows.emplace_back(place(b.x + b.width / 2), place(b.y + b.height / 2), size, size);
  }
  return windows;
}

double SsdDetector::near_cost(const cv::Size& frame, const std::vector<FaceBox>& near, float context) const {
  double area = 0;
  for (const auto& r : input_windows(frame, near, context)) area += static_cast<double>(r.area());
  return std::min(1.0, area / (kInput * kInput));
}

std::vector<std::vector<FaceBox>> SsdDetector::detect_near(const cv::Mat& rgb, const std::vector<FaceBox>& near,
                                                           float context, float min_score) const {
  if (near.empty()) return {};
  if (rgb.empty() || rgb.channels() != 3 || rgb.depth() != CV_8U) throw InvalidInput("detector input must be 8-bit RGB");
  const float w = static_cast<float>(rgb.cols), h = static_cast<float>(rgb.rows);
  const float to_input = kInput / std::max(w, h); // frame pixels -> input pixels
  const auto windows = input_windows(rgb.size(), near, context);
  // Windows as large as the input together are detect() itself.
  if (near_cost(rgb.size(), near, context) >= 1.0)
    return FaceDetector::detect_near(rgb, near, context, min_score);
  c10::InferenceMode guard;
  const float pad_x = kInput / std::round(w * to_input), pad_y = kInput / std::round(h * to_input);
  std::vector<std::vector<FaceBox>> out(near.size());
  for (size_t i = 0; i < windows.size(); ++i) {
    const auto& win = windows[i];
    auto input = square_resized_window_chw(rgb, kInput, win) * 0.007843137718737125f - 1.0f;
    const auto raw = forward(*w_, tf::channels_last(input.unsqueeze(0)), anchors_for(*w_, win.width));
    const float side = static_cast<float>(win.width);
    for (auto [top, left, bottom, right, score] : select(raw, 0, min_score, max_results_, /*clip=*/false)) {
      // Window -> the whole input (normalised), clipped as detect() clips, then to the frame.
      auto whole = [&](float v, int offset) { return std::clamp((offset + v * side) / kInput, 0.f, 1.f); };
      top = whole(top, win.y) * pad_y, bottom = whole(bottom, win.y) * pad_y;
      left = whole(left, win.x) * pad_x, right = whole(right, win.x) * pad_x;
      out[i].push_back(FaceBox{left * w, top * h, (right - left) * w, (bottom - top) * h, score});
    }
  }
  return out;
}

} // namespace curator::faces
