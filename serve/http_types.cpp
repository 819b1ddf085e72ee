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

nlohmann::json Request::json_body() const {
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
