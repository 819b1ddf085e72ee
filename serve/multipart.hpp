#pragma once
//! A streaming multipart/form-data parser (RFC 7578): bytes go in as they arrive, part headers and part
//! data come out through callbacks, and nothing is held whole (uploads are hundreds of megabytes). No
//! Debian library offers this as a stream (httplib's parser lives inside its server; libmicrohttpd's
//! needs its own connection). Malformed input is a curator::InvalidInput. One parser per body; not
//! thread-safe.
#include <functional>
#include <string>
#include <string_view>

namespace curator::serve {

/// The boundary of a `multipart/form-data; boundary=...` content type; throws InvalidInput without one.
std::string multipart_boundary(const std::string& content_type);

class MultipartParser {
public:
  using PartStart = std::function<bool(const std::string& name, const std::string& filename,
                                       const std::string& content_type)>;
  using Data = std::function<bool(const char* data, size_t size)>;

  MultipartParser(std::string boundary, PartStart on_part, Data on_data);

  /// Feeds the next bytes. Returns false when a callback asked to stop. Throws InvalidInput when the
  /// body is not multipart/form-data with this boundary.
  bool feed(std::string_view bytes);
  /// After the last bytes: throws InvalidInput when the closing boundary never came.
  void finish() const;
  bool done() const { return state_ == State::epilogue; }

private:
  enum class State { preamble, after_boundary, headers, data, epilogue };
  bool start_part();
  bool flush_data(bool all);

  std::string delimiter_; ///< "\r\n--" + boundary
  PartStart on_part_;
  Data on_data_;
  State state_ = State::preamble;
  std::string buffer_;
};

} // namespace curator::serve
