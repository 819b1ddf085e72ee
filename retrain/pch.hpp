// Precompiled header of the retrain module (see retrain/CMakeLists.txt); not for inclusion elsewhere.
#include <torch/torch.h>
