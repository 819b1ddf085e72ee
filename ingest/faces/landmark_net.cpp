// Mirrors face-api's FaceFeatureExtractor (denseBlock4 x 4, average pool) + fully connected layer and
// FaceLandmark68NetBase.postProcess (undoing the centred padding).
#include "ingest/faces/landmark_net.hpp"

#include "core/error.hpp"
#include "ingest/faces/image_ops.hpp"
#include "ingest/faces/torch_ops.hpp"

#include <cmath>

namespace curator::faces {

namespace {
constexpr int kInput = 112;
}

struct LandmarkNet::Weights {
  struct SepConv {
    torch::Tensor depthwise, pointwise, bias; // depthwise empty for the first, full convolution
  };
  std::vector<std::array<SepConv, 4>> dense; // dense0..3, conv0..3
  torch::Tensor fc_w, fc_b;
};

namespace {

using W = LandmarkNet::Weights;

W load(const TfjsWeights& t) {
  W w;
  for (int d = 0; d < 4; ++d) {
    std::array<W::SepConv, 4> block;
    for (int c = 0; c < 4; ++c) {
      const std::string p = "dense" + std::to_string(d) + "/conv" + std::to_string(c);
      if (d == 0 && c == 0) {
        block[c] = {{}, tf::conv_filter(t.get(p + "/filters")), tf::tensor(t.get(p + "/bias"))};
      } else {
        block[c] = {tf::depthwise_filter(t.get(p + "/depthwise_filter")), tf::conv_filter(t.get(p + "/pointwise_filter")),
                    tf::tensor(t.get(p + "/bias"))};
      }
    }
    w.dense.push_back(block);
  }
  w.fc_w = tf::tensor(t.get("fc/weights", {256, 136}));
  w.fc_b = tf::tensor(t.get("fc/bias", {136}));
  return w;
}

torch::Tensor sep_conv(const torch::Tensor& x, const W::SepConv& c, int stride) {
  if (!c.depthwise.defined()) return tf::conv_same(x, c.pointwise, c.bias, stride);
  auto y = tf::conv_same(x, c.depthwise, {}, stride, x.size(1));
  return tf::conv_same(y, c.pointwise, c.bias, 1);
}

torch::Tensor dense_block(const torch::Tensor& x, const std::array<W::SepConv, 4>& b) {
  auto out1 = torch::relu(sep_conv(x, b[0], 2));
  auto out2 = sep_conv(out1, b[1], 1);
  auto out3 = sep_conv(torch::relu(out1 + out2), b[2], 1);
  auto out4 = sep_conv(torch::relu(out1 + out2 + out3), b[3], 1);
  return torch::relu(out1 + out2 + out3 + out4);
}

} // namespace

LandmarkNet::LandmarkNet(const std::filesystem::path& model_dir)
    : w_(std::make_unique<Weights>(load(TfjsWeights::load(model_dir / "face_landmark_68_model-weights_manifest.json")))) {}

LandmarkNet::~LandmarkNet() = default;

std::vector<Landmarks68> LandmarkNet::locate(const cv::Mat& rgb, const std::vector<FaceBox>& faces) const {
  if (faces.empty()) return {};
  c10::InferenceMode guard;
  std::vector<torch::Tensor> inputs;
  std::vector<cv::Rect> crops;
  for (const auto& face : faces) {
    cv::Rect crop = clip_and_floor(face, rgb.cols, rgb.rows);
    if (crop.width <= 0 || crop.height <= 0) throw InvalidInput("face box lies outside the image");
    crops.push_back(crop);
    inputs.push_back(square_resized_chw(rgb(crop), kInput, /*centre=*/true));
  }
  const auto mean = torch::tensor({122.782f, 117.001f, 104.298f}).view({1, 3, 1, 1});
  auto x = tf::channels_last((torch::stack(inputs) - mean) / 255.0f);
  for (const auto& block : w_->dense) x = dense_block(x, block);
  x = torch::avg_pool2d(x, 7, 2).flatten(1);
  auto out = (x.matmul(w_->fc_w) + w_->fc_b).contiguous(); // [N, 136]: x0, y0, x1, y1, ... in the padded square
  std::vector<Landmarks68> result(faces.size());
  for (size_t i = 0; i < faces.size(); ++i) {
    const float w = static_cast<float>(crops[i].width), h = static_cast<float>(crops[i].height);
    const float scale = kInput / std::max(w, h);
    const float sw = w * scale, sh = h * scale;
    const float pad_x = w < h ? std::fabs(sw - sh) / 2 : 0, pad_y = h < w ? std::fabs(sw - sh) / 2 : 0;
    const float* o = out[static_cast<int64_t>(i)].data_ptr<float>();
    for (int k = 0; k < 68; ++k) {
      const float rel_x = (o[2 * k] * kInput - pad_x) / sw, rel_y = (o[2 * k + 1] * kInput - pad_y) / sh;
      // face-api scales by the floored crop but shifts by the unfloored detection box.
      result[i][k] = cv::Point2f(rel_x * w + faces[i].x, rel_y * h + faces[i].y);
    }
  }
  return result;
}

} // namespace curator::faces
