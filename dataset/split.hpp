#pragma once
//! Splits and the deterministic bucket rule. A group's split depends only on its stable key and the
//! fractions, never on insertion order or on other groups, so re-running assignment reproduces it.
//! Thread-safe (pure functions).
#include <string>
#include <string_view>

namespace curator::dataset {

enum class Split { train, val, test };

const char* split_name(Split split);
/// Throws curator::InvalidInput for anything but "train", "val" or "test".
Split parse_split(std::string_view text);

/// A number in [0, 1) from the SHA-256 of `key`: uniform and stable across runs and machines.
double stable_unit(std::string_view key);

/// test when u < test_fraction, val when u < test_fraction + val_fraction, else train, u = stable_unit(key).
/// Throws curator::InvalidInput when the fractions are negative or add up to more than 1.
Split bucket_split(std::string_view key, double test_fraction, double val_fraction);

} // namespace curator::dataset
