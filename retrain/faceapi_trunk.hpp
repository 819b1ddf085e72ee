#pragma once
// Internal to retrain/ (includes LibTorch): the `faceapi` backbone, face-api's recognition net (dlib's
// ResNet-29 face descriptor, trained on millions of faces) made trainable. The per-channel scale after each
// convolution is folded into it, so every layer is one Conv2d with a bias; the 128-d `fc` layer is dropped
// and the detector's head sits on the pooled features of all four stages (32 + 64 + 128 + 256 = 480), so a
// frozen trunk is a multi-stage probe. Registered names follow face-api's tensor names ("conv64_down.conv1",
// "conv32_1.conv2", ...), so checkpoints read like the model file. Inputs: RGB, (x/255 - face-api's channel
// means), any side >= 64 (face-api runs 150 x 150). Not thread-safe (a torch module).
#include <torch/torch.h>

#include <array>
#include <filesystem>
#include <string>

namespace curator::retrain {

/// Two 3x3 convolutions with a shortcut: the plain block keeps the size (SAME padding); the down block
/// halves it (first conv VALID stride 2) and adds a 2x2 average pool of its input, zero-padded in space
/// and channels.
struct FaceApiBlockImpl : torch::nn::Module {
  FaceApiBlockImpl(int64_t in, int64_t out, bool down);
  torch::Tensor forward(torch::Tensor x);
  bool down;
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
};
TORCH_MODULE(FaceApiBlock);

struct FaceApiTrunkImpl : torch::nn::Module {
  FaceApiTrunkImpl();
  /// N x 3 x H x W -> the four stages' outputs (32, 64, 128 and 256 channels).
  std::array<torch::Tensor, 4> stages(torch::Tensor x);
  /// Whether block `index` (of `blocks`) is the last of a stage.
  static bool ends_stage(size_t index);
  torch::nn::Conv2d conv32_down{nullptr};
  std::vector<std::pair<std::string, FaceApiBlock>> blocks; ///< in order, by face-api name
};
TORCH_MODULE(FaceApiTrunk);

constexpr int64_t kFaceApiFeatures = 32 + 64 + 128 + 256;
/// face-api's input means (RGB, 0..255); its inputs are (x - mean) / 255.
constexpr float kFaceApiMean[3] = {122.782f, 117.001f, 104.298f};

/// The recognition net's weight manifest inside a face-api models folder (faces.models_dir).
std::filesystem::path faceapi_manifest(const std::filesystem::path& models_dir);
/// SHA-256 of face-api 1.7.15's recognition weights (the manifest's shards, concatenated): the pinned file.
extern const char* const kFaceApiRecognitionSha256;

/// Copies the recognition net's folded weights from `manifest` (face_recognition_model-weights_manifest.json)
/// into `trunk` and returns the SHA-256 of its weights. Throws InvalidInput when the weights' checksum is
/// not the pinned one (a changed or damaged file), NotFound when a file is missing.
std::string load_faceapi_weights(FaceApiTrunk& trunk, const std::filesystem::path& manifest);

/// face-api's own 128-d layer ([256, 128], no bias) from the same file, for checking the port.
torch::Tensor faceapi_descriptor_layer(const std::filesystem::path& manifest);

} // namespace curator::retrain
