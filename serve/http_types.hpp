#pragma once
//! The HTTP vocabulary of curator, independent of the server library. Handlers take a Request and
//! return a Response, or throw curator::Error (mapped to a JSON error with its status by the server).
#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace curator::serve {

struct Request {
  std::string method;
  std::string path;
  std::string route;                    ///< the route pattern that matched (also the metrics label)
  std::vector<std::string> captures;    ///< regex groups of the route pattern
  std::multimap<std::string, std::string> query;
  std::map<std::string, std::string> headers; ///< names lower-cased
  std::string body;
  std::string remote_addr;        ///< the client (behind trusted proxies: from X-Forwarded-For)
  bool via_trusted_proxy = false; ///< the connection came from a trusted proxy (its X-Forwarded-* count)
  std::string request_id;

  std::optional<std::string> header(const std::string& name) const;
  std::optional<std::string> query_param(const std::string& name) const;
  /// The `limit` query parameter (`fallback` when absent). Throws InvalidInput unless it is an integer
  /// from 1 to 1000.
  int limit_param(int fallback) const;
  /// Parses the body as JSON; throws InvalidInput when it is not.
  nlohmann::json json_body() const;
};

struct Deferred;

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// When set, the body is this file, streamed; the server answers HTTP range requests on it.
  std::optional<std::filesystem::path> file;
  /// When set, the answer is not ready yet (see Deferred); the other fields are ignored.
  std::shared_ptr<Deferred> deferred;

  static Response json(const nlohmann::json& value, int status = 200);
  static Response text(std::string body, std::string content_type = "text/plain; charset=utf-8", int status = 200);
  static Response file_content(std::filesystem::path path, std::string content_type);
  /// {"error": {"code": ..., "message": ...}} with the status of `code`.
  static Response error(ErrorCode code, const std::string& message);
};

/// A response that comes later (a long poll): the server calls `poll` every `interval` on a handler
/// thread, holding no thread in between, until it returns a response; at `deadline` it sends `timeout()`.
struct Deferred {
  std::function<std::optional<Response>()> poll;
  std::function<Response()> timeout;
  std::chrono::milliseconds interval{100};
  std::chrono::steady_clock::time_point deadline;
};

using Handler = std::function<Response(const Request&)>;

/// A request body read as it arrives (uploads), never held whole in memory. Callbacks return false to
/// stop reading (the request then fails).
class BodyReader {
public:
  using PartStart = std::function<bool(const std::string& name, const std::string& filename,
                                       const std::string& content_type)>;
  using Data = std::function<bool(const char* data, size_t size)>;
  virtual ~BodyReader() = default;
  virtual bool multipart() const = 0;
  /// multipart/form-data: on_part for each part, then its bytes through on_data.
  virtual bool read_parts(const PartStart& on_part, const Data& on_data) = 0;
  /// Any other body, in chunks.
  virtual bool read(const Data& on_data) = 0;
};
using StreamHandler = std::function<Response(const Request&, BodyReader&)>;

/// One entry of the route table. `pattern` is an ECMAScript regex matched against the whole path.
/// A route has either `handler` (body read whole, up to the server's body limit, 64 KB by default) or
/// `stream` (POST/PUT only: uploads, up to the upload limit, read as they arrive).
struct Route {
  std::string method; ///< GET, POST, PUT, DELETE, PATCH
  std::string pattern;
  Handler handler;
  StreamHandler stream = nullptr;
  bool page = false; ///< an HTML page: errors render as pages, 401 redirects to the sign-in page
};

} // namespace curator::serve
