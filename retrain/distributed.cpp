#include "retrain/distributed.hpp"

#include "core/logging.hpp"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <spdlog/spdlog.h>

namespace curator::retrain {

namespace {

std::pair<std::string, uint16_t> split_master(const std::string& master) {
  const auto colon = master.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == master.size())
    throw InvalidInput("the master address must be host:port, not '" + master + "'");
  int port = 0;
  try {
    size_t used = 0;
    port = std::stoi(master.substr(colon + 1), &used);
    if (used != master.size() - colon - 1) port = 0;
  } catch (const std::exception&) {
    port = 0;
  }
  if (port < 1 || port > 65535) throw InvalidInput("the master address's port must be 1-65535: '" + master + "'");
  return {master.substr(0, colon), static_cast<uint16_t>(port)};
}

} // namespace

void DistributedOptions::validate() const {
  if (world_size < 1) throw InvalidInput("the world size must be at least 1");
  if (rank < 0 || rank >= world_size)
    throw InvalidInput("rank " + std::to_string(rank) + " is outside a world of " + std::to_string(world_size));
  if (enabled()) split_master(master);
}

struct DataParallel::Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
};

DataParallel::DataParallel(const DistributedOptions& o) : rank_(o.rank), world_size_(o.world_size) {
  o.validate();
  const auto [host, port] = split_master(o.master);
  group_ = std::make_unique<Group>();
  try {
    c10d::TCPStoreOptions so;
    so.port = port;
    so.isServer = o.rank == 0;
    so.numWorkers = o.world_size;
    so.waitWorkers = true;
    so.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(o.timeout);
    group_->store = c10::make_intrusive<c10d::TCPStore>(host, so);
    auto options = c10d::ProcessGroupGloo::Options::create();
    options->timeout = so.timeout;
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(host));
    group_->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(group_->store, o.rank, o.world_size, options);
  } catch (const std::exception& e) {
    throw Unavailable("could not join the training group at " + o.master + " as rank " + std::to_string(o.rank) +
                      " of " + std::to_string(o.world_size) + ": " + e.what());
  }
  core::logger("train")->info("rank {} of {} joined the training group at {}", o.rank, o.world_size, o.master);
}

DataParallel::~DataParallel() = default;

void DataParallel::broadcast(torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> tensors;
  for (auto& p : model.parameters()) tensors.push_back(p.detach());
  for (auto& b : model.buffers()) tensors.push_back(b.detach());
  for (auto& t : tensors) {
    std::vector<at::Tensor> one{t};
    group_->pg->broadcast(one, c10d::BroadcastOptions{0})->wait();
  }
}

void DataParallel::average_gradients(torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> grads;
  for (auto& p : model.parameters())
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return;
  std::vector<at::Tensor> flat;
  for (auto& g : grads) flat.push_back(g.reshape({-1}));
  std::vector<at::Tensor> buffer{torch::cat(flat)};
  group_->pg->allreduce(buffer)->wait();
  buffer[0].div_(world_size_);
  int64_t offset = 0;
  for (auto& g : grads) {
    const int64_t n = g.numel();
    g.copy_(buffer[0].slice(0, offset, offset + n).view_as(g));
    offset += n;
  }
}

double DataParallel::average(double value) {
  std::vector<at::Tensor> one{torch::full({1}, value, torch::kFloat64)};
  group_->pg->allreduce(one)->wait();
  return one[0].item<double>() / world_size_;
}

} // namespace curator::retrain
