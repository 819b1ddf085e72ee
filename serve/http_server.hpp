#pragma once
//! The HTTP server: event-driven (Boost.Beast on Boost.Asio), so slow or idle clients hold a socket,
//! never a thread. Network threads only read, parse and write; handlers run on a separate pool, and a
//! long poll (Response::deferred) holds no thread while it waits. Serves one route table; every handler
//! is wrapped so that curator::Error becomes {"error":{"code","message"}} with its status, any other
//! exception a 500 with a request id (details only in the log), and nothing escapes into the server.
//! Unknown paths get a JSON 404. Every request is counted and timed per route in Metrics.
//!
//! Limits, enforced before a handler runs:
//!  - the whole request head must arrive within `head_timeout` and fit in `max_head_bytes` (431);
//!  - bodies of ordinary routes are at most `max_body_bytes` (64 KB), uploads (stream routes) at most
//!    `max_upload_bytes`, chunked bodies included (413); a body must keep arriving (`body_idle_timeout`
//!    between reads, and after 30 s at least `min_upload_rate` bytes/s on average);
//!  - at most `max_connections` connections (later ones are answered 503 and closed) and at most
//!    `max_uploads` uploads at once (503);
//!  - any answer given before the whole body was read closes the connection, so the rest of a body is
//!    never taken for a second request;
//!  - a state-changing request (POST, PUT, PATCH, DELETE) whose Origin is another site's is refused (403);
//!  - every answer says X-Content-Type-Options: nosniff.
//! Request::remote_addr is the client behind trusted proxies (trusted_proxies.hpp), and
//! Request::via_trusted_proxy says whether X-Forwarded-Proto may be believed.
//! start() binds (port 0 picks a free port) and serves on background threads; stop() is idempotent.
#include "serve/http_types.hpp"
#include "serve/metrics.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace curator::serve {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  int threads = 8;     ///< handler threads
  int io_threads = 2;  ///< network threads
  std::chrono::seconds head_timeout{10};
  std::chrono::seconds body_idle_timeout{30};
  std::chrono::seconds keep_alive_timeout{30};
  size_t max_head_bytes = 16 * 1024;
  size_t max_body_bytes = 64 * 1024;
  size_t max_upload_bytes = 501ull << 20;
  size_t min_upload_rate = 10 * 1024; ///< bytes/s, averaged, after the first 30 s of an upload
  int max_connections = 1024;
  int max_connections_per_address = 256; ///< from one client address (trusted proxies exempt); later ones 503
  int max_uploads = 4;
  std::string trusted_proxies; ///< web.trusted_proxies: whose X-Forwarded-For / -Proto is believed
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

  struct Impl;

private:
  std::shared_ptr<Impl> impl_;
  int port_ = 0;
};

} // namespace curator::serve
