#include "ingest/faces/tfjs_weights.hpp"

#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <cstring>
#include <fstream>
#include <sstream>

namespace curator::faces {

namespace fs = std::filesystem;

int64_t TfjsTensor::numel() const {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << "]";
  return out.str();
}

std::vector<char> read_all(const fs::path& file) {
  if (!fs::is_regular_file(file)) throw NotFound("model file missing: " + file.string());
  std::ifstream in(file, std::ios::binary);
  std::vector<char> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw InvalidInput("cannot read model file " + file.string());
  return data;
}

struct Entry {
  std::string name;
  std::vector<int64_t> shape;
  std::string dtype;       // float32 | int32
  std::string quant_dtype; // "" | uint8 | uint16
  double min = 0, scale = 1;
  size_t bytes() const;
};

size_t Entry::bytes() const {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  size_t per = quant_dtype == "uint8" ? 1 : quant_dtype == "uint16" ? 2 : 4;
  return static_cast<size_t>(n) * per;
}

Entry parse_entry(const nlohmann::json& w, const fs::path& manifest) {
  Entry e;
  try {
    e.name = w.at("name").get<std::string>();
    e.shape = w.at("shape").get<std::vector<int64_t>>();
    e.dtype = w.at("dtype").get<std::string>();
    if (w.contains("quantization")) {
      const auto& q = w["quantization"];
      e.quant_dtype = q.at("dtype").get<std::string>();
      e.min = q.at("min").get<double>();
      e.scale = q.at("scale").get<double>();
    }
  } catch (const nlohmann::json::exception& ex) {
    throw InvalidInput("malformed weight entry in " + manifest.string() + ": " + ex.what());
  }
  for (auto d : e.shape)
    if (d < 0) throw InvalidInput("negative dimension for " + e.name + " in " + manifest.string());
  if (e.dtype != "float32" && e.dtype != "int32")
    throw InvalidInput("unsupported dtype '" + e.dtype + "' for " + e.name + " in " + manifest.string());
  if (!e.quant_dtype.empty() && e.quant_dtype != "uint8" && e.quant_dtype != "uint16")
    throw InvalidInput("unsupported quantization '" + e.quant_dtype + "' for " + e.name + " in " + manifest.string());
  return e;
}

TfjsTensor decode(const Entry& e, const char* p) {
  TfjsTensor t;
  t.shape = e.shape;
  const auto n = static_cast<size_t>(t.numel());
  t.values.resize(n);
  if (e.quant_dtype == "uint8") {
    const auto* q = reinterpret_cast<const uint8_t*>(p);
    for (size_t i = 0; i < n; ++i) t.values[i] = static_cast<float>(q[i] * e.scale + e.min);
  } else if (e.quant_dtype == "uint16") {
    for (size_t i = 0; i < n; ++i) {
      uint16_t q;
      std::memcpy(&q, p + 2 * i, 2); // little-endian host assumed (x86_64, aarch64)
      t.values[i] = static_cast<float>(q * e.scale + e.min);
    }
  } else if (e.dtype == "int32") {
    for (size_t i = 0; i < n; ++i) {
      int32_t v;
      std::memcpy(&v, p + 4 * i, 4);
      t.values[i] = static_cast<float>(v);
    }
  } else {
    std::memcpy(t.values.data(), p, n * 4);
  }
  return t;
}

} // namespace

TfjsWeights TfjsWeights::load(const fs::path& manifest) {
  const auto text = read_all(manifest);
  auto json = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (json.is_discarded() || !json.is_array())
    throw InvalidInput("not a tfjs weights manifest (expected a JSON list): " + manifest.string());
  TfjsWeights out;
  out.source_ = manifest;
  for (const auto& group : json) {
    if (!group.is_object() || !group.contains("paths") || !group.contains("weights"))
      throw InvalidInput("weight group without paths/weights in " + manifest.string());
    std::vector<char> data;
    std::string shard_names;
    for (const auto& p : group["paths"]) {
      const fs::path shard = manifest.parent_path() / p.get<std::string>();
      auto bytes = read_all(shard);
      data.insert(data.end(), bytes.begin(), bytes.end());
      shard_names += (shard_names.empty() ? "" : ", ") + shard.string();
    }
    std::vector<Entry> entries;
    size_t expected = 0;
    for (const auto& w : group["weights"]) {
      entries.push_back(parse_entry(w, manifest));
      expected += entries.back().bytes();
    }
    if (expected != data.size())
      throw InvalidInput("model file " + shard_names + " holds " + std::to_string(data.size()) + " bytes but " +
                         manifest.string() + " describes " + std::to_string(expected) +
                         " (truncated or corrupt download? re-run ops/setup.sh)");
    size_t offset = 0;
    for (const auto& e : entries) {
      out.tensors_[e.name] = decode(e, data.data() + offset);
      offset += e.bytes();
    }
  }
  return out;
}

const TfjsTensor& TfjsWeights::get(const std::string& name, const std::vector<int64_t>& expected_shape) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw InvalidInput("tensor '" + name + "' missing from " + source_.string());
  if (!expected_shape.empty() && it->second.shape != expected_shape)
    throw InvalidInput("tensor '" + name + "' in " + source_.string() + " has shape " + shape_text(it->second.shape) +
                       ", expected " + shape_text(expected_shape));
  return it->second;
}

} // namespace curator::faces
