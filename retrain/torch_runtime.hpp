#pragma once
//! LibTorch process settings. configure_torch() sets the intra-op thread count (LibTorch defaults to 1
//! here) and is meant to be called once at start-up, before any model work; it is not safe to call while
//! other threads run models. torch_runtime_info() is thread-safe.
#include <nlohmann/json.hpp>

#include <string>

namespace curator::retrain {

struct TorchRuntimeInfo {
  std::string version;
  int threads = 1;
  bool cuda_available = false;
  int cuda_devices = 0;
  std::string device; ///< "cuda" when usable, else "cpu"
  nlohmann::json to_json() const;
};

void configure_torch(int threads);

TorchRuntimeInfo torch_runtime_info();

} // namespace curator::retrain
