#include "ingest/faces/torch_threads.hpp"

#include <ATen/Parallel.h>
#include <omp.h>

#include <algorithm>

namespace curator::faces {

int torch_threads_here() {
  return at::get_num_threads(); // first in a thread: takes the process default for it, then omp_get_max_threads()
}

void set_torch_threads_here(int threads) {
  (void)torch_threads_here(); // the thread's lazy start-up would otherwise overwrite what is set here
  omp_set_num_threads(std::max(1, threads));
}

} // namespace curator::faces
