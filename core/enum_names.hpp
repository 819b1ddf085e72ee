#pragma once
//! One table of names per enum, for the states and kinds stored as text: name() and parse() both read
//! it, so a state cannot be added to one and forgotten in the other. Constant; thread-safe.
#include "core/error.hpp"

#include <array>
#include <string>
#include <utility>

namespace curator::core {

template <typename E, size_t N> struct EnumNames {
  const char* what; ///< e.g. "job state", for error messages
  std::array<std::pair<E, const char*>, N> names;

  const char* name(E value) const {
    for (const auto& [v, n] : names)
      if (v == value) return n;
    return names[0].second; // unreachable for a complete table
  }
  /// Throws InvalidInput naming the allowed values.
  E parse(const std::string& text) const {
    for (const auto& [v, n] : names)
      if (text == n) return v;
    std::string allowed;
    for (const auto& [v, n] : names) allowed += (allowed.empty() ? "" : ", ") + std::string(n);
    throw InvalidInput("unknown " + std::string(what) + " '" + text + "' (" + allowed + ")");
  }
};

} // namespace curator::core
