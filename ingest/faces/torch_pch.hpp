// The precompiled LibTorch header, built once by curator_faces and reused by curator_retrain and
// bench/curator_bench_train (target_precompile_headers REUSE_FROM); not for inclusion elsewhere.
#include <torch/torch.h>
