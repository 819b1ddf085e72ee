#pragma once
//! The version of this build: "<project version>+<git commit>" (the commit at configure time, or
//! "unknown" outside a git checkout). Recorded with every trained model and run.
#include <string>

namespace curator::core {

std::string code_version();

} // namespace curator::core
