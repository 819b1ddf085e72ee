#pragma once
//! Typed errors that abort a request or a command.
//! Policy: untrusted input (requests, files, config values) raises one of these with a message fit for the
//! person who sent it; an impossible internal state is a bug and asserts (or throws std::logic_error).
//! The serve layer maps ErrorCode to an HTTP status; the CLI maps any Error to a non-zero exit.
#include <stdexcept>
#include <string>

namespace curator {

enum class ErrorCode {
  invalid_input,     // 400: the request or value is malformed or out of range
  unauthorized,      // 401
  forbidden,         // 403
  not_found,         // 404
  conflict,          // 409: state does not allow it (duplicate, already decided, ...)
  payload_too_large, // 413
  range_not_satisfiable, // 416
  headers_too_large, // 431
  request_timeout,   // 408: the client sent too slowly
  rate_limited,      // 429
  insufficient_storage, // 507: the data folder's disk is too full to take more
  unavailable,       // 503: not ready (database, models), try later
  internal,          // 500: a bug or an environment failure (disk full, ...)
};

const char* error_code_name(ErrorCode code);
int http_status(ErrorCode code);

class Error : public std::runtime_error {
public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

private:
  ErrorCode code_;
};

struct InvalidInput : Error {
  explicit InvalidInput(const std::string& m) : Error(ErrorCode::invalid_input, m) {}
};
struct NotFound : Error {
  explicit NotFound(const std::string& m) : Error(ErrorCode::not_found, m) {}
};
struct Conflict : Error {
  explicit Conflict(const std::string& m) : Error(ErrorCode::conflict, m) {}
};
struct Unauthorized : Error { // no valid session: sign in
  explicit Unauthorized(const std::string& m) : Error(ErrorCode::unauthorized, m) {}
};
struct Forbidden : Error { // signed in, but not allowed (role, own submission, CSRF)
  explicit Forbidden(const std::string& m) : Error(ErrorCode::forbidden, m) {}
};
struct PayloadTooLarge : Error {
  explicit PayloadTooLarge(const std::string& m) : Error(ErrorCode::payload_too_large, m) {}
};
struct InsufficientStorage : Error {
  explicit InsufficientStorage(const std::string& m) : Error(ErrorCode::insufficient_storage, m) {}
};
struct RateLimited : Error {
  explicit RateLimited(const std::string& m) : Error(ErrorCode::rate_limited, m) {}
};
struct Unavailable : Error {
  explicit Unavailable(const std::string& m) : Error(ErrorCode::unavailable, m) {}
};
/// A configuration value is missing, malformed or out of range; the message names the setting.
struct ConfigError : Error {
  explicit ConfigError(const std::string& m) : Error(ErrorCode::invalid_input, m) {}
};
/// The database schema cannot be used by this binary (e.g. it is newer).
struct SchemaError : Error {
  explicit SchemaError(const std::string& m) : Error(ErrorCode::unavailable, m) {}
};

} // namespace curator
