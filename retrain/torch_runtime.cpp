#include "retrain/torch_runtime.hpp"

#include "core/logging.hpp"

#include <spdlog/spdlog.h>
#include <torch/torch.h>
#include <torch/version.h>


namespace curator::retrain {

nlohmann::json TorchRuntimeInfo::to_json() const {
  return {{"version", version},
          {"threads", threads},
          {"cuda_available", cuda_available},
          {"cuda_devices", cuda_devices},
          {"device", device}};
}

void configure_torch(int threads) {
  torch::set_num_threads(threads);
  auto info = torch_runtime_info();
  core::logger("torch")->info("LibTorch {}: {} threads, device {}", info.version, info.threads, info.device);
}

TorchRuntimeInfo torch_runtime_info() {
  TorchRuntimeInfo info;
  info.version = TORCH_VERSION;
  info.threads = torch::get_num_threads();
  info.cuda_available = torch::cuda::is_available();
  info.cuda_devices = info.cuda_available ? static_cast<int>(torch::cuda::device_count()) : 0;
  info.device = info.cuda_available ? "cuda" : "cpu";
  return info;
}

} // namespace curator::retrain
