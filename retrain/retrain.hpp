#pragma once
//! curator::retrain — trains and evaluates the detector on dataset snapshots with LibTorch: ResNet18 or
//! Xception with the study's augmentations (training.hpp, augment.hpp), random search (search.hpp),
//! per-source metrics with bootstrap intervals (metrics.hpp), the promotion gate (promotion_gate.hpp) and
//! whether a round could promote at all (promotion_outlook.hpp),
//! the model registry with its champion alias (model_registry.hpp), retraining rounds and their
//! triggers (retrain_round.hpp, round_store.hpp), and scoring a video with a model (video_scorer.hpp).
//! Depends on core, dataset and labeling. The only module besides faces compiled against LibTorch; its
//! public headers never include <torch/torch.h>, so the rest of the code base compiles fast.
#include "retrain/metrics.hpp"
#include "retrain/model_registry.hpp"
#include "retrain/promotion_gate.hpp"
#include "retrain/promotion_outlook.hpp"
#include "retrain/retrain_round.hpp"
#include "retrain/round_store.hpp"
#include "retrain/search.hpp"
#include "retrain/torch_runtime.hpp"
#include "retrain/training.hpp"
#include "retrain/video_scorer.hpp"
