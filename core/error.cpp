#include "core/error.hpp"

namespace curator {

const char* error_code_name(ErrorCode code) {
  switch (code) {
  case ErrorCode::invalid_input: return "invalid_input";
  case ErrorCode::unauthorized: return "unauthorized";
  case ErrorCode::forbidden: return "forbidden";
  case ErrorCode::not_found: return "not_found";
  case ErrorCode::conflict: return "conflict";
  case ErrorCode::payload_too_large: return "payload_too_large";
  case ErrorCode::range_not_satisfiable: return "range_not_satisfiable";
  case ErrorCode::headers_too_large: return "headers_too_large";
  case ErrorCode::request_timeout: return "request_timeout";
  case ErrorCode::insufficient_storage: return "insufficient_storage";
  case ErrorCode::rate_limited: return "rate_limited";
  case ErrorCode::unavailable: return "unavailable";
  case ErrorCode::internal: return "internal";
  }
  return "internal";
}

int http_status(ErrorCode code) {
  switch (code) {
  case ErrorCode::invalid_input: return 400;
  case ErrorCode::unauthorized: return 401;
  case ErrorCode::forbidden: return 403;
  case ErrorCode::not_found: return 404;
  case ErrorCode::conflict: return 409;
  case ErrorCode::payload_too_large: return 413;
  case ErrorCode::range_not_satisfiable: return 416;
  case ErrorCode::headers_too_large: return 431;
  case ErrorCode::request_timeout: return 408;
  case ErrorCode::insufficient_storage: return 507;
  case ErrorCode::rate_limited: return 429;
  case ErrorCode::unavailable: return 503;
  case ErrorCode::internal: return 500;
  }
  return 500;
}

} // namespace curator
