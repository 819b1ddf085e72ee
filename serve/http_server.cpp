// The server's acceptor, threads, route matching and error wrapping; sessions are in http_session.cpp.
#include "serve/http_server.hpp"

#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

#include "core/logging.hpp"
#include "serve/html.hpp"
#include "serve/http_server_impl.hpp"

#include <spdlog/spdlog.h>

namespace curator::serve {

HttpServer::Impl::Impl(HttpServerOptions o, std::vector<Route> r, Metrics& m)
    : options(std::move(o)), routes(std::move(r)), proxies(options.trusted_proxies), metrics(m),
      handlers(options.threads) {
  for (const auto& route : routes) {
    if (route.stream && route.method != "POST" && route.method != "PUT")
      throw std::logic_error("streaming routes must be POST or PUT: " + route.pattern);
    patterns.emplace_back(route.pattern, std::regex::ECMAScript | std::regex::optimize);
  }
}

const Route* HttpServer::Impl::match(const std::string& method, const std::string& path,
                                     std::vector<std::string>& captures) const {
  for (size_t i = 0; i < routes.size(); ++i) {
    if (routes[i].method != method) continue;
    std::smatch m;
    if (!std::regex_match(path, m, patterns[i])) continue;
    captures.clear();
    for (size_t k = 1; k < m.size(); ++k) captures.push_back(m[k].str());
    return &routes[i];
  }
  return nullptr;
}

namespace {

// The answer to a connection over the limit: written, then closed, without a session.
void turn_away(tcp::socket socket) {
  auto sock = std::make_shared<tcp::socket>(std::move(socket));
  static const std::string body = R"({"error":{"code":"unavailable","message":"too many connections; try again"}})";
  auto busy = std::make_shared<std::string>(
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\nRetry-After: 1\r\n"
      "X-Request-Id: " + new_request_id() + "\r\nX-Content-Type-Options: nosniff\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  net::async_write(*sock, net::buffer(*busy), [sock, busy](beast::error_code, size_t) {
    beast::error_code ec;
    sock->shutdown(tcp::socket::shutdown_both, ec);
    sock->close(ec);
  });
}

} // namespace

bool HttpServer::Impl::admit(const std::string& address) {
  if (address.empty() || proxies.contains(address)) return true;
  std::lock_guard<std::mutex> lock(per_address_mutex);
  int& n = per_address[address];
  if (n >= options.max_connections_per_address) return false;
  ++n;
  return true;
}

void HttpServer::Impl::release(const std::string& address) {
  if (address.empty() || proxies.contains(address)) return;
  std::lock_guard<std::mutex> lock(per_address_mutex);
  if (auto it = per_address.find(address); it != per_address.end() && --it->second <= 0) per_address.erase(it);
}

void HttpServer::Impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (stopping) return;
    if (!ec) {
      beast::error_code peer_ec;
      const auto peer = socket.remote_endpoint(peer_ec);
      const std::string address = peer_ec ? "" : peer.address().to_string();
      if (connections.load() >= options.max_connections || !admit(address)) turn_away(std::move(socket));
      else std::make_shared<Session>(std::move(socket), *this)->start();
    }
    accept();
  });
}

Response HttpServer::invoke(const Handler& handler, const Request& request, bool page) {
  // Pages answer with pages, except to their own scripts (which ask for JSON).
  const bool as_page = page && request.header("Accept").value_or("").find("application/json") == std::string::npos;
  auto failed = [&](ErrorCode code, const std::string& message) {
    return as_page ? html::error_page(code, message, request.path) : Response::error(code, message);
  };
  try {
    return handler(request);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::internal) {
      // Internal errors keep their details in the log; the client gets the request id only.
      core::logger("http")->error("{} {} [{}]: {}", request.method, request.path, request.request_id, e.what());
      return failed(e.code(), "internal error; see the server log for request " + request.request_id);
    }
    return failed(e.code(), e.what());
  } catch (const SQLite::Exception& e) {
    // Another process holds the database (a long write, a backup): busy, not broken. 503 with a hint.
    const int code = e.getErrorCode() & 0xff;
    if (code != SQLITE_BUSY && code != SQLITE_LOCKED) {
      core::logger("http")->error("{} {} [{}] failed: {}", request.method, request.path, request.request_id, e.what());
      return failed(ErrorCode::internal, "internal error; see the server log for request " + request.request_id);
    }
    core::logger("http")->warn("{} {} [{}]: the database is busy ({})", request.method, request.path,
                               request.request_id, e.what());
    Response r = failed(ErrorCode::unavailable, "the database is busy; try again in a moment");
    r.headers.emplace_back("Retry-After", "1");
    return r;
  } catch (const std::exception& e) {
    core::logger("http")->error("{} {} [{}] failed: {}", request.method, request.path, request.request_id, e.what());
    return failed(ErrorCode::internal, "internal error; see the server log for request " + request.request_id);
  } catch (...) {
    core::logger("http")->error("{} {} [{}] failed with a non-standard exception", request.method, request.path,
                                request.request_id);
    return failed(ErrorCode::internal, "internal error; see the server log for request " + request.request_id);
  }
}

HttpServer::HttpServer(HttpServerOptions options, std::vector<Route> routes, Metrics& metrics)
    : impl_(std::make_shared<Impl>(std::move(options), std::move(routes), metrics)) {}

HttpServer::~HttpServer() { stop(); }

int HttpServer::start() {
  auto& s = *impl_;
  const auto& o = s.options;
  beast::error_code ec;
  const auto address = net::ip::make_address(o.host == "localhost" ? "127.0.0.1" : o.host, ec);
  if (ec) throw Unavailable("cannot listen on " + o.host + ": not an IP address");
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(o.port));
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(net::socket_base::reuse_address(true), ec); // fast restarts; never SO_REUSEPORT
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw Unavailable("cannot listen on " + o.host + ":" + std::to_string(o.port) + " (" + ec.message() + ")");
  port_ = s.acceptor.local_endpoint().port();
  s.accept();
  for (int i = 0; i < std::max(1, o.io_threads); ++i) s.io_threads.emplace_back([&s] { s.ioc.run(); });
  core::logger("http")->info("listening on {}:{}", o.host, port_);
  return port_;
}

void HttpServer::stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  auto& s = *impl_;
  net::post(s.ioc, [&s] {
    beast::error_code ec;
    s.acceptor.close(ec);
  });
  s.handlers.stop(); // handlers finish (uploads in flight fail), their answers are queued for writing
  s.ioc.stop();
  for (auto& t : s.io_threads)
    if (t.joinable()) t.join();
}

} // namespace curator::serve
