#include "serve/multipart.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cctype>

namespace curator::serve {

namespace {

constexpr size_t kMaxPartHeaders = 8192;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The value of `key` in a header parameter list (`form-data; name="x"; filename="y"`), unquoted.
std::string parameter(const std::string& header, const std::string& key) {
  const std::string h = lower(header);
  size_t pos = 0;
  while ((pos = h.find(key, pos)) != std::string::npos) {
    const bool starts = pos == 0 || h[pos - 1] == ';' || h[pos - 1] == ' ' || h[pos - 1] == '\t';
    size_t eq = pos + key.size();
    while (eq < h.size() && (h[eq] == ' ' || h[eq] == '\t')) ++eq;
    if (!starts || eq >= h.size() || h[eq] != '=') {
      pos += key.size();
      continue;
    }
    size_t v = eq + 1;
    while (v < header.size() && (header[v] == ' ' || header[v] == '\t')) ++v;
    if (v < header.size() && header[v] == '"') {
      std::string out;
      for (size_t i = v + 1; i < header.size() && header[i] != '"'; ++i) {
        if (header[i] == '\\' && i + 1 < header.size()) ++i;
        out += header[i];
      }
      return out;
    }
    const size_t end = header.find(';', v);
    std::string out = header.substr(v, end == std::string::npos ? std::string::npos : end - v);
    while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
    return out;
  }
  return "";
}

} // namespace

std::string multipart_boundary(const std::string& content_type) {
  if (lower(content_type).rfind("multipart/form-data", 0) != 0)
    throw InvalidInput("expected a multipart/form-data body");
  const std::string b = parameter(content_type, "boundary");
  if (b.empty() || b.size() > 200) throw InvalidInput("multipart/form-data without a usable boundary");
  return b;
}

MultipartParser::MultipartParser(std::string boundary, PartStart on_part, Data on_data)
    : delimiter_("\r\n--" + boundary), on_part_(std::move(on_part)), on_data_(std::move(on_data)) {
  buffer_ = "\r\n"; // the first boundary may come without the CRLF before it
}

bool MultipartParser::start_part() {
  // Headers end at the first empty line; names are case-insensitive.
  std::string name, filename, content_type = "text/plain";
  bool disposition = false;
  size_t pos = 0;
  while (pos < buffer_.size()) {
    size_t end = buffer_.find("\r\n", pos);
    if (end == std::string::npos) end = buffer_.size();
    const std::string line = buffer_.substr(pos, end - pos);
    pos = end + 2;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = lower(line.substr(0, colon));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    if (key == "content-disposition") {
      if (lower(value).rfind("form-data", 0) != 0) throw InvalidInput("a multipart part is not form-data");
      disposition = true;
      name = parameter(value, "name");
      filename = parameter(value, "filename");
    } else if (key == "content-type") {
      content_type = value;
    }
  }
  if (!disposition) throw InvalidInput("a multipart part has no Content-Disposition");
  return on_part_(name, filename, content_type);
}

// Hands on the data before a possible delimiter; keeps a tail that could be the start of one.
bool MultipartParser::flush_data(bool all) {
  const size_t keep = all ? 0 : std::min(buffer_.size(), delimiter_.size() - 1);
  const size_t n = buffer_.size() - keep;
  if (n == 0) return true;
  const bool ok = on_data_(buffer_.data(), n);
  buffer_.erase(0, n);
  return ok;
}

bool MultipartParser::feed(std::string_view bytes) {
  buffer_.append(bytes.data(), bytes.size());
  for (;;) {
    switch (state_) {
    case State::preamble: {
      const size_t at = buffer_.find(delimiter_);
      if (at == std::string::npos) {
        if (buffer_.size() > 4096) throw InvalidInput("no multipart boundary at the start of the body");
        return true;
      }
      buffer_.erase(0, at + delimiter_.size());
      state_ = State::after_boundary;
      break;
    }
    case State::after_boundary: {
      // "--" ends the body; otherwise optional padding, then CRLF and the part's headers.
      if (buffer_.size() < 2) return true;
      if (buffer_.compare(0, 2, "--") == 0) {
        state_ = State::epilogue;
        buffer_.clear();
        return true;
      }
      const size_t crlf = buffer_.find("\r\n");
      if (crlf == std::string::npos) {
        if (buffer_.size() > 256) throw InvalidInput("malformed multipart boundary line");
        return true;
      }
      if (buffer_.find_first_not_of(" \t") < crlf) throw InvalidInput("malformed multipart boundary line");
      buffer_.erase(0, crlf + 2);
      state_ = State::headers;
      break;
    }
    case State::headers: {
      const size_t end = buffer_.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (buffer_.size() > kMaxPartHeaders) throw InvalidInput("multipart part headers are too long");
        return true;
      }
      const std::string rest = buffer_.substr(end + 4);
      buffer_.resize(end);
      if (!start_part()) return false;
      buffer_ = rest;
      state_ = State::data;
      break;
    }
    case State::data: {
      const size_t at = buffer_.find(delimiter_);
      if (at == std::string::npos) return flush_data(false);
      const std::string rest = buffer_.substr(at + delimiter_.size());
      buffer_.resize(at);
      if (!flush_data(true)) return false;
      buffer_ = rest;
      state_ = State::after_boundary;
      break;
    }
    case State::epilogue:
      buffer_.clear();
      return true;
    }
  }
}

void MultipartParser::finish() const {
  if (state_ != State::epilogue) throw InvalidInput("the multipart body ended before its closing boundary");
}

} // namespace curator::serve
