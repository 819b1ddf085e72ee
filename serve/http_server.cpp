#include "serve/http_server.hpp"

#include "core/logging.hpp"
#include "serve/html.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <sys/socket.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <atomic>
#include <cctype>
#include <chrono>
#include <random>
#include <thread>

namespace curator::serve {

namespace {

std::string new_request_id() {
  static const std::string prefix = [] {
    std::random_device rd;
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", rd());
    return std::string(buf);
  }();
  static std::atomic<uint64_t> counter{0};
  return prefix + "-" + std::to_string(++counter);
}

Request to_request(const httplib::Request& in, const std::string& route) {
  Request r;
  r.method = in.method;
  r.path = in.path;
  r.route = route;
  for (size_t i = 1; i < in.matches.size(); ++i) r.captures.push_back(in.matches[i].str());
  for (const auto& [k, v] : in.params) r.query.emplace(k, v);
  for (const auto& [k, v] : in.headers) {
    std::string key = k;
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    r.headers[key] = v;
  }
  r.body = in.body;
  r.remote_addr = in.remote_addr;
  r.request_id = new_request_id();
  return r;
}

void write_response(const Response& from, const std::string& request_id, httplib::Response& to) {
  for (const auto& [k, v] : from.headers) to.set_header(k, v);
  to.set_header("X-Request-Id", request_id);
  if (from.file) {
    // Streamed from disk in chunks; httplib answers Range requests itself (206, Content-Range, 416), so
    // its status is left for httplib to choose.
    std::error_code ec;
    const auto size = std::filesystem::file_size(*from.file, ec);
    if (ec) {
      to.status = 404;
      return;
    }
    to.set_content_provider(static_cast<size_t>(size), from.content_type,
                            [path = *from.file](size_t offset, size_t length, httplib::DataSink& sink) {
                              std::ifstream in(path, std::ios::binary);
                              in.seekg(static_cast<std::streamoff>(offset));
                              std::vector<char> buf(std::min<size_t>(length, 1 << 20));
                              in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
                              const auto got = static_cast<size_t>(in.gcount());
                              return got > 0 && sink.write(buf.data(), got);
                            });
    return;
  }
  to.status = from.status;
  to.set_content(from.body, from.content_type);
}

class HttplibBodyReader final : public BodyReader {
public:
  HttplibBodyReader(const httplib::Request& req, const httplib::ContentReader& content) : req_(req), content_(content) {}
  bool multipart() const override { return req_.is_multipart_form_data(); }
  bool read_parts(const PartStart& on_part, const Data& on_data) override {
    return content_(
        [&](const httplib::MultipartFormData& part) { return on_part(part.name, part.filename, part.content_type); },
        [&](const char* data, size_t size) { return on_data(data, size); });
  }
  bool read(const Data& on_data) override {
    return content_([&](const char* data, size_t size) { return on_data(data, size); });
  }

private:
  const httplib::Request& req_;
  const httplib::ContentReader& content_;
};

} // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  std::vector<Route> routes;
  Metrics& metrics;
  httplib::Server server;
  std::thread thread;
  Impl(HttpServerOptions o, std::vector<Route> r, Metrics& m) : options(std::move(o)), routes(std::move(r)), metrics(m) {}
};

Response HttpServer::invoke(const Handler& handler, const Request& request, bool page) {
  // Pages answer with pages, except to their own scripts (which ask for JSON).
  const bool as_page = page && request.header("Accept").value_or("").find("application/json") == std::string::npos;
  auto failed = [&](ErrorCode code, const std::string& message) {
    return as_page ? html::error_page(code, message, request.path) : Response::error(code, message);
  };
  try {
    return handler(request);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::internal) core::logger("http")->error("{} {} [{}]: {}", request.method, request.path,
                                                                     request.request_id, e.what());
    return failed(e.code(), e.what());
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
    : impl_(std::make_unique<Impl>(std::move(options), std::move(routes), metrics)) {
  auto& server = impl_->server;
  const int threads = impl_->options.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  server.set_payload_max_length(impl_->options.max_body_bytes);
  // httplib's default adds SO_REUSEPORT, which lets a second daemon bind the same port and silently
  // share its traffic; keep only SO_REUSEADDR (fast restarts).
  server.set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  for (const auto& route : impl_->routes) {
    Metrics* metrics_ptr = &impl_->metrics;
    if (route.stream) {
      auto streamed = [route, metrics_ptr](const httplib::Request& in, httplib::Response& out,
                                           const httplib::ContentReader& content) {
        const auto t0 = std::chrono::steady_clock::now();
        Request req = to_request(in, route.pattern);
        HttplibBodyReader reader(in, content);
        Response res = invoke([&](const Request& r) { return route.stream(r, reader); }, req, route.page);
        write_response(res, req.request_id, out);
        metrics_ptr->observe_request(route.pattern, route.method, res.status,
                                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      };
      if (route.method == "POST") server.Post(route.pattern, streamed);
      else if (route.method == "PUT") server.Put(route.pattern, streamed);
      else throw std::logic_error("streaming routes must be POST or PUT: " + route.pattern);
      continue;
    }
    auto wrapped = [route, metrics_ptr](const httplib::Request& in, httplib::Response& out) {
      const auto t0 = std::chrono::steady_clock::now();
      Request req = to_request(in, route.pattern);
      Response res = invoke(route.handler, req, route.page);
      write_response(res, req.request_id, out);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      metrics_ptr->observe_request(route.pattern, route.method, res.status, seconds);
    };
    if (route.method == "GET") server.Get(route.pattern, wrapped);
    else if (route.method == "POST") server.Post(route.pattern, wrapped);
    else if (route.method == "PUT") server.Put(route.pattern, wrapped);
    else if (route.method == "DELETE") server.Delete(route.pattern, wrapped);
    else if (route.method == "PATCH") server.Patch(route.pattern, wrapped);
    else throw std::logic_error("unsupported method in route table: " + route.method);
  }
  // Called for every status >= 400; fills in a JSON body only where no handler wrote one (no route,
  // body over the limit, malformed request).
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [metrics_ptr = &impl_->metrics](const httplib::Request& in, httplib::Response& out) {
    if (!out.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    ErrorCode code = out.status == 404   ? ErrorCode::not_found
                     : out.status == 413 ? ErrorCode::payload_too_large
                     : out.status >= 500 ? ErrorCode::internal
                                         : ErrorCode::invalid_input;
    std::string message = out.status == 404 ? "no route for " + in.method + " " + in.path
                                             : "request refused (HTTP " + std::to_string(out.status) + ")";
    Response res = Response::error(code, message);
    out.set_content(res.body, res.content_type);
    metrics_ptr->observe_request("unmatched", in.method, out.status, 0);
    return httplib::Server::HandlerResponse::Handled;
  }));
  server.set_exception_handler([](const httplib::Request& in, httplib::Response& out, std::exception_ptr) {
    Response res = Response::error(ErrorCode::internal, "internal error");
    out.status = 500;
    out.set_content(res.body, res.content_type);
  });
}

HttpServer::~HttpServer() { stop(); }

int HttpServer::start() {
  auto& server = impl_->server;
  const auto& o = impl_->options;
  if (o.port == 0) {
    port_ = server.bind_to_any_port(o.host);
  } else {
    port_ = server.bind_to_port(o.host, o.port) ? o.port : -1;
  }
  if (port_ <= 0)
    throw Unavailable("cannot listen on " + o.host + ":" + std::to_string(o.port) + " (address in use or invalid)");
  auto ended = std::make_shared<std::atomic<bool>>(false);
  impl_->thread = std::thread([&server, ended] {
    server.listen_after_bind();
    *ended = true;
  });
  while (!server.is_running() && !*ended) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (*ended) throw Unavailable("the HTTP server stopped right after binding " + o.host);
  core::logger("http")->info("listening on {}:{}", o.host, port_);
  return port_;
}

void HttpServer::stop() {
  if (!impl_) return;
  if (impl_->server.is_running()) impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

} // namespace curator::serve
