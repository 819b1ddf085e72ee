#pragma once
// Internal to retrain/: weights and checkpoints on disk. Every file is written to a temporary name and
// renamed, so a crash leaves the previous file whole. A checkpoint holds the model, the optimizer's
// state and LibTorch's CPU random generator (dropout), which makes a resumed run exact.
#include "retrain/detector_model.hpp"

#include <filesystem>

namespace curator::retrain {

void save_weights(torch::nn::Module& model, const std::filesystem::path& file);
/// Throws NotFound when the file is missing, InvalidInput when it does not fit the model.
void load_weights(torch::nn::Module& model, const std::filesystem::path& file);

void save_checkpoint(const std::filesystem::path& file, torch::nn::Module& model, torch::optim::Optimizer& optimizer);
void load_checkpoint(const std::filesystem::path& file, torch::nn::Module& model, torch::optim::Optimizer& optimizer);

} // namespace curator::retrain
