#include "core/version.hpp"

namespace curator::core {

std::string code_version() { return std::string(CURATOR_VERSION) + "+" + CURATOR_GIT_COMMIT; }

} // namespace curator::core
