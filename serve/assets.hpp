#pragma once
//! The pages' own scripts (serve/assets/*.js), compiled into the binary so a daemon never serves a
//! script older or newer than its pages. Pure lookups of immutable data; thread-safe.
#include <optional>
#include <string_view>

namespace curator::serve {

/// The script named `name` (e.g. "runs.js"); nothing when there is none.
std::optional<std::string_view> embedded_asset(std::string_view name);

} // namespace curator::serve
