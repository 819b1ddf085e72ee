#pragma once
//! curator::retrain — trains and evaluates the detector on dataset snapshots with LibTorch.
//! Depends on core and dataset. The only module compiled against LibTorch; its public headers never
//! include <torch/torch.h>, so the rest of the code base compiles fast. So far: the LibTorch runtime
//! (thread count from config, device discovery).
#include "retrain/torch_runtime.hpp"
