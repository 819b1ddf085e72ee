#include "dataset/split.hpp"

#include "core/error.hpp"
#include "core/sha256.hpp"

namespace curator::dataset {

const char* split_name(Split split) {
  switch (split) {
  case Split::train: return "train";
  case Split::val: return "val";
  case Split::test: return "test";
  }
  return "train";
}

Split parse_split(std::string_view text) {
  if (text == "train") return Split::train;
  if (text == "val") return Split::val;
  if (text == "test") return Split::test;
  throw InvalidInput("unknown split '" + std::string(text) + "' (train, val, test)");
}

double stable_unit(std::string_view key) {
  const std::string hex = core::sha256_hex(key);
  // 52 bits of the digest fill a double's mantissa exactly.
  const unsigned long long bits = std::stoull(hex.substr(0, 13), nullptr, 16);
  return static_cast<double>(bits) / static_cast<double>(1ULL << 52);
}

Split bucket_split(std::string_view key, double test_fraction, double val_fraction) {
  if (test_fraction < 0 || val_fraction < 0 || test_fraction + val_fraction > 1)
    throw InvalidInput("split fractions must be >= 0 and add up to at most 1");
  const double u = stable_unit(key);
  if (u < test_fraction) return Split::test;
  if (u < test_fraction + val_fraction) return Split::val;
  return Split::train;
}

} // namespace curator::dataset
