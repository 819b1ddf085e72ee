#pragma once
//! How many threads the face nets' operators use when called from the calling thread. LibTorch's
//! OpenMP keeps this per thread (OpenMP's nthreads setting of the thread that starts a parallel region);
//! torch.threads (at::set_num_threads) sets the process default every thread starts from.

namespace curator::faces {

/// The calling thread's count (the process default until set_torch_threads_here).
int torch_threads_here();
/// Sets the calling thread's count (at least 1); other threads are unaffected.
void set_torch_threads_here(int threads);

} // namespace curator::faces
