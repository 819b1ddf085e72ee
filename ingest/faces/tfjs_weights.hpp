#pragma once
//! Reads TensorFlow.js weight manifests (`NAME-weights_manifest.json` plus its .bin shards): float32 and
//! int32 tensors stored raw, and uint8/uint16-quantized ones (value = q * scale + min). The shards'
//! total size must equal what the manifest describes. Untrusted files: a missing, short, long or
//! malformed file raises curator::InvalidInput (NotFound when absent) naming the file.
//! The result is immutable and safe to share between threads.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace curator::faces {

struct TfjsTensor {
  std::vector<int64_t> shape; ///< tfjs order: conv filters [kh, kw, in, out], dense [in, out]
  std::vector<float> values;  ///< row-major, dequantized
  int64_t numel() const;
};

class TfjsWeights {
public:
  static TfjsWeights load(const std::filesystem::path& manifest);

  /// Throws InvalidInput naming the model file when the tensor is absent or its shape differs.
  const TfjsTensor& get(const std::string& name, const std::vector<int64_t>& expected_shape = {}) const;
  bool contains(const std::string& name) const { return tensors_.count(name) > 0; }
  size_t size() const { return tensors_.size(); }
  const std::filesystem::path& source() const { return source_; }

private:
  std::filesystem::path source_;
  std::map<std::string, TfjsTensor> tensors_;
};

} // namespace curator::faces
