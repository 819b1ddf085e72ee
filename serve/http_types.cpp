#include "serve/http_types.hpp"

#include <algorithm>
#include <cctype>

namespace curator::serve {

std::optional<std::string> Request::header(const std::string& name) const {
  std::string key = name;
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  auto it = headers.find(key);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Request::query_param(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

int Request::limit_param(int fallback) const {
  int limit = fallback;
  if (const auto text = query_param("limit")) {
    size_t used = 0;
    try {
      limit = std::stoi(*text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text->size()) throw InvalidInput("limit must be an integer");
  }
  if (limit < 1 || limit > 1000) throw InvalidInput("limit must be between 1 and 1000");
  return limit;
}

nlohmann::json Request::json_body() const {
  // A form or text/plain body could come from another site's page without a CORS preflight.
  std::string type = header("Content-Type").value_or("");
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  if (type.rfind("application/json", 0) != 0) throw InvalidInput("send JSON with Content-Type: application/json");
  auto value = nlohmann::json::parse(body, nullptr, false);
  if (value.is_discarded()) throw InvalidInput("request body is not valid JSON");
  return value;
}

Response Response::json(const nlohmann::json& value, int status) {
  Response r;
  r.status = status;
  r.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response Response::text(std::string body, std::string content_type, int status) {
  Response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

Response Response::file_content(std::filesystem::path path, std::string content_type) {
  Response r;
  r.file = std::move(path);
  r.content_type = std::move(content_type);
  return r;
}

Response Response::error(ErrorCode code, const std::string& message) {
  return json({{"error", {{"code", error_code_name(code)}, {"message", message}}}}, http_status(code));
}

} // namespace curator::serve
