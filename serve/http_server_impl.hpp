#pragma once
// Internals of serve::HttpServer shared by its two files (private to serve/): the server's state and
// one connection's session. Includes Boost.Beast; nothing outside the server includes this.
#include "serve/http_server.hpp"
#include "serve/task_pool.hpp"
#include "serve/trusted_proxies.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>

namespace curator::serve {

/// A new request's id: the process's random prefix and a counter ("3f2a9c01-17"), in X-Request-Id and logs.
std::string new_request_id();


namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

struct HttpServer::Impl {
  HttpServerOptions options;
  std::vector<Route> routes;
  std::vector<std::regex> patterns;
  TrustedProxies proxies;
  Metrics& metrics;
  // Declared before the io_context: sessions still queued in it when it is destroyed release their
  // address here.
  std::mutex per_address_mutex;
  std::map<std::string, int> per_address; ///< open connections by peer address (trusted proxies not counted)
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  TaskPool handlers;
  std::vector<std::thread> io_threads;
  std::atomic<int> connections{0};
  /// Counts a new connection from `address`; false (nothing counted) when that address is at its cap.
  bool admit(const std::string& address);
  void release(const std::string& address);
  std::atomic<int> uploads{0};
  std::atomic<bool> stopping{false};

  Impl(HttpServerOptions o, std::vector<Route> r, Metrics& m);
  void accept();
  /// The route for a method and path (nullptr when none); fills `captures`.
  const Route* match(const std::string& method, const std::string& path, std::vector<std::string>& captures) const;
};

/// One connection: requests are read one after another (keep-alive), each head under a deadline, each
/// body under the route's limit; handlers run on the handler pool; everything else on the strand.
class Session : public std::enable_shared_from_this<Session> {
public:
  Session(tcp::socket socket, HttpServer::Impl& server);
  ~Session();
  void start();

  /// For stream handlers (on a handler thread): reads up to `size` body bytes into `data`; 0 at the
  /// end of the body. Throws curator::Error when the client stalls, is too slow, or sends too much.
  size_t read_body(char* data, size_t size);
  bool body_done() const { return body_done_; }
  const std::string& content_type() const { return content_type_; }

private:
  void read_head(bool first);
  void on_head(beast::error_code ec);
  void read_whole_body();
  void run_handler();
  void run_stream();
  void respond(Response response, bool close);
  void poll_later(std::shared_ptr<Deferred> deferred);
  void write_string(Response response, bool close);
  void write_file(Response response, bool close);
  void write_file_chunk(std::shared_ptr<struct FileSend> send);
  void after_write(beast::error_code ec, bool close);
  void refuse(ErrorCode code, const std::string& message);
  void close();

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  HttpServer::Impl& server_;
  std::string remote_;
  std::optional<http::request_parser<http::empty_body>> head_;
  std::optional<http::request_parser<http::string_body>> whole_;
  std::optional<http::request_parser<http::buffer_body>> chunks_;
  Request request_;
  const Route* route_ = nullptr;
  std::string content_type_;
  bool keep_alive_ = true;
  bool body_done_ = false;
  bool upload_counted_ = false;
  void release_upload_slot(); ///< on the session's strand
  std::chrono::steady_clock::time_point started_, body_started_;
  size_t body_bytes_ = 0;
};

} // namespace curator::serve
