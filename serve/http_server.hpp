#pragma once
//! The HTTP server (cpp-httplib underneath, hidden here). Serves one route table; every handler is
//! wrapped so that curator::Error becomes {"error":{"code","message"}} with its status, any other
//! exception a 500 with a request id (details only in the log), and nothing escapes into the server.
//! Unknown paths get a JSON 404. Every request is counted and timed per route in Metrics.
//! start() binds (port 0 picks a free port) and serves on background threads; stop() is idempotent.
#include "serve/http_types.hpp"
#include "serve/metrics.hpp"

#include <memory>
#include <string>
#include <vector>

namespace curator::serve {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  int threads = 8;
  size_t max_body_bytes = 64 * 1024 * 1024;
};

class HttpServer {
public:
  HttpServer(HttpServerOptions options, std::vector<Route> routes, Metrics& metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds and starts serving; returns the bound port. Throws curator::Unavailable when it cannot bind.
  int start();
  void stop();
  int port() const { return port_; }

  /// Wraps a handler the way the server does (error mapping); exposed for tests of single handlers.
  static Response invoke(const Handler& handler, const Request& request, bool page = false);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

} // namespace curator::serve
