#include "core/sodium.hpp"

#include "core/error.hpp"

#include <sodium.h>

namespace curator::core {

void ensure_sodium() {
  if (sodium_init() < 0) throw Error(ErrorCode::internal, "libsodium failed to initialise");
}

} // namespace curator::core
