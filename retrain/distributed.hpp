#pragma once
//! Data-parallel training across processes on LibTorch's c10d: a TCPStore at the master address for the
//! rendezvous and ProcessGroupGloo (CPU; Debian's LibTorch has no NCCL) for the collectives. Every rank
//! holds the whole model; each step, each rank computes its share of the batch and the gradients are
//! averaged over the ranks before the optimizer steps, so the ranks stay identical and, without batch
//! statistics (the faceapi trunk, a head without BatchNorm) or dropout, train what one process would on the
//! whole batch. Construction blocks until every rank has joined (or the timeout passes: curator::Unavailable).
//! One DataParallel per process and run, used from one thread. Internal to retrain/ (it includes LibTorch);
//! DistributedOptions, in training.hpp, is the public side.
#include "core/error.hpp"
#include "retrain/training.hpp"

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace curator::retrain {

class DataParallel {
public:
  explicit DataParallel(const DistributedOptions& options);
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  /// Rank 0's parameters and buffers, copied to every rank (the same start everywhere).
  void broadcast(torch::nn::Module& model);
  /// Every parameter's gradient replaced by its mean over the ranks (one all-reduce of one flat buffer).
  void average_gradients(torch::nn::Module& model);
  /// The mean of `value` over the ranks.
  double average(double value);

private:
  struct Group;
  std::unique_ptr<Group> group_;
  int rank_ = 0, world_size_ = 1;
};

} // namespace curator::retrain
