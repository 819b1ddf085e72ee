#include "retrain/model_io.hpp"

#include "core/error.hpp"

#include <ATen/CPUGeneratorImpl.h>

namespace curator::retrain {

namespace {

void save_atomic(torch::serialize::OutputArchive& archive, const std::filesystem::path& file) {
  const auto tmp = file.string() + ".tmp";
  archive.save_to(tmp);
  std::filesystem::rename(tmp, file);
}

} // namespace

void save_weights(torch::nn::Module& model, const std::filesystem::path& file) {
  torch::serialize::OutputArchive archive;
  model.save(archive);
  save_atomic(archive, file);
}

void load_weights(torch::nn::Module& model, const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) throw NotFound("no weights file " + file.string());
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(file.string());
    model.load(archive);
  } catch (const c10::Error& e) {
    throw InvalidInput(file.string() + " does not fit this model: " + e.what_without_backtrace());
  }
}

void save_checkpoint(const std::filesystem::path& file, torch::nn::Module& model, torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive root, weights, opt;
  model.save(weights);
  optimizer.save(opt);
  root.write("model", weights);
  root.write("optimizer", opt);
  auto gen = at::detail::getDefaultCPUGenerator();
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    root.write("rng", gen.get_state());
  }
  save_atomic(root, file);
}

void load_checkpoint(const std::filesystem::path& file, torch::nn::Module& model, torch::optim::Optimizer& optimizer) {
  torch::serialize::InputArchive root, weights, opt;
  root.load_from(file.string());
  root.read("model", weights);
  root.read("optimizer", opt);
  model.load(weights);
  optimizer.load(opt);
  torch::Tensor rng;
  root.read("rng", rng);
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(rng);
}

} // namespace curator::retrain
