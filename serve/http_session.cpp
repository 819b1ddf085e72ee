// One connection of the HTTP server: the request head under a deadline, the body under the route's
// limit, the handler on the handler pool, the answer (string, file with byte ranges, or a long poll).
#include "core/logging.hpp"
#include "serve/byte_range.hpp"
#include "serve/http_server_impl.hpp"
#include "serve/multipart.hpp"
#include "serve/request_target.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <future>
#include <limits>
#include <random>

namespace curator::serve {

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

namespace {

using Clock = std::chrono::steady_clock;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool timed_out(const beast::error_code& ec) { return ec == beast::error::timeout; }

// Request bodies of stream routes, as handlers read them: multipart parts or raw chunks.
class StreamBody final : public BodyReader {
public:
  explicit StreamBody(Session& session) : session_(session) {}
  bool multipart() const override { return lower(session_.content_type()).rfind("multipart/form-data", 0) == 0; }
  bool read_parts(const PartStart& on_part, const Data& on_data) override {
    MultipartParser parser(multipart_boundary(session_.content_type()), on_part, on_data);
    char buf[64 * 1024];
    for (;;) {
      const size_t n = session_.read_body(buf, sizeof buf);
      if (n == 0) break;
      if (!parser.feed(std::string_view(buf, n))) return false;
    }
    parser.finish();
    return true;
  }
  bool read(const Data& on_data) override {
    char buf[64 * 1024];
    for (;;) {
      const size_t n = session_.read_body(buf, sizeof buf);
      if (n == 0) return true;
      if (!on_data(buf, n)) return false;
    }
  }

private:
  Session& session_;
};

} // namespace

// A file answer being written in chunks.
struct FileSend {
  std::ifstream in;
  uint64_t remaining = 0;
  std::vector<char> buf;
  http::response<http::buffer_body> res;
  std::optional<http::response_serializer<http::buffer_body>> sr;
  bool close = false;
};

Session::Session(tcp::socket socket, HttpServer::Impl& server) : stream_(std::move(socket)), server_(server) {
  ++server_.connections;
  beast::error_code ec;
  const auto peer = stream_.socket().remote_endpoint(ec);
  remote_ = ec ? "" : peer.address().to_string();
}

Session::~Session() {
  --server_.connections;
  server_.release(remote_); // admitted by HttpServer::Impl::accept under the same address
  release_upload_slot();
}

void Session::release_upload_slot() {
  if (!upload_counted_) return;
  --server_.uploads;
  upload_counted_ = false;
}

void Session::start() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_head(true); });
}

void Session::read_head(bool first) {
  head_.emplace();
  head_->header_limit(static_cast<std::uint32_t>(server_.options.max_head_bytes));
  head_->body_limit(std::numeric_limits<std::uint64_t>::max()); // each route's limit is applied after the head
  whole_.reset();
  chunks_.reset();
  body_done_ = false;
  body_bytes_ = 0;
  release_upload_slot();
  // The whole head must arrive in time, however slowly its bytes trickle in.
  stream_.expires_after(first ? server_.options.head_timeout
                              : server_.options.keep_alive_timeout + server_.options.head_timeout);
  http::async_read_header(stream_, buffer_, *head_,
                          [self = shared_from_this()](beast::error_code ec, size_t) { self->on_head(ec); });
}

void Session::on_head(beast::error_code ec) {
  if (ec == http::error::header_limit) return refuse(ErrorCode::headers_too_large, "the request head is too large");
  if (ec == http::error::body_limit) return refuse(ErrorCode::payload_too_large, "the body is too large");
  if (ec) {
    if (ec == http::error::bad_target || ec == http::error::bad_method || ec == http::error::bad_field ||
        ec == http::error::bad_value || ec == http::error::bad_version || ec == http::error::bad_line_ending ||
        ec == http::error::bad_obs_fold)
      return refuse(ErrorCode::invalid_input, "malformed request");
    // Conflicting or malformed framing (Content-Length with Transfer-Encoding, two lengths): a 400, then
    // the connection closes, so no proxy in front can be made to read the body differently.
    if (ec == http::error::bad_content_length || ec == http::error::bad_transfer_encoding)
      return refuse(ErrorCode::invalid_input, "conflicting or malformed Content-Length / Transfer-Encoding");
    return close(); // the client left, or its head took too long
  }
  started_ = Clock::now();
  const auto& msg = head_->get();
  request_ = Request{};
  request_.method = std::string(msg.method_string());
  auto target = parse_request_target(std::string_view(msg.target().data(), msg.target().size()));
  request_.path = std::move(target.path);
  request_.query = std::move(target.query);
  for (const auto& field : msg) request_.headers[lower(std::string(field.name_string()))] = std::string(field.value());
  request_.via_trusted_proxy = server_.proxies.contains(remote_);
  request_.remote_addr = server_.proxies.client(remote_, request_.header("X-Forwarded-For"));
  request_.request_id = new_request_id();
  content_type_ = request_.header("Content-Type").value_or("");
  keep_alive_ = msg.keep_alive();
  route_ = server_.match(request_.method, request_.path, request_.captures);
  if (!route_) {
    if (!head_->is_done()) keep_alive_ = false; // a body we will not read
    return respond(Response::error(ErrorCode::not_found, "no route for " + request_.method + " " + request_.path),
                   !keep_alive_);
  }
  request_.route = route_->pattern;
  if (request_.method != "GET" && request_.method != "HEAD") {
    // A page of another site may post here with the visitor's cookies; browsers say where it came from.
    if (const auto origin = request_.header("Origin")) {
      const std::string host = request_.header("Host").value_or("");
      if (*origin != "http://" + host && *origin != "https://" + host) {
        if (!head_->is_done()) keep_alive_ = false;
        return respond(Response::error(ErrorCode::forbidden, "cross-site request refused"), !keep_alive_);
      }
    }
  }
  const size_t limit = route_->stream ? server_.options.max_upload_bytes : server_.options.max_body_bytes;
  if (msg.has_content_length() && head_->content_length() && *head_->content_length() > limit)
    return refuse(ErrorCode::payload_too_large,
                  "the body is larger than this route's limit of " + std::to_string(limit) + " bytes");
  if (route_->stream) {
    if (server_.uploads.fetch_add(1) >= server_.options.max_uploads) {
      --server_.uploads;
      return refuse(ErrorCode::unavailable, "too many uploads at once; try again in a minute");
    }
    upload_counted_ = true;
    chunks_.emplace(std::move(*head_));
    chunks_->body_limit(limit);
    body_started_ = Clock::now();
    body_done_ = chunks_->is_done();
    return run_stream();
  }
  if (head_->is_done()) return run_handler(); // no body
  whole_.emplace(std::move(*head_));
  whole_->body_limit(limit);
  stream_.expires_after(server_.options.body_idle_timeout);
  http::async_read(stream_, buffer_, *whole_, [self = shared_from_this()](beast::error_code e, size_t) {
    if (e == http::error::body_limit)
      return self->refuse(ErrorCode::payload_too_large, "the body is larger than this route's limit of " +
                                                            std::to_string(self->server_.options.max_body_bytes) + " bytes");
    if (e) return self->close();
    self->request_.body = self->whole_->release().body();
    self->run_handler();
  });
}

void Session::run_handler() {
  // Liveness never waits for the handler threads (they may all be waiting on a busy database): /healthz
  // touches nothing and is answered here, on the connection's strand.
  if (route_->pattern == "/healthz") {
    Response r = HttpServer::invoke(route_->handler, request_, route_->page);
    return respond(std::move(r), !keep_alive_);
  }
  server_.handlers.post([self = shared_from_this()] {
    Response r = HttpServer::invoke(self->route_->handler, self->request_, self->route_->page);
    net::post(self->stream_.get_executor(), [self, r = std::move(r)]() mutable { self->respond(std::move(r), !self->keep_alive_); });
  });
}

void Session::run_stream() {
  server_.handlers.post([self = shared_from_this()] {
    StreamBody body(*self);
    Response r = HttpServer::invoke([&](const Request& q) { return self->route_->stream(q, body); }, self->request_,
                                    self->route_->page);
    const bool unread = !self->body_done_; // answered before the whole body came: never read it as a request
    net::post(self->stream_.get_executor(), [self, r = std::move(r), unread]() mutable {
      // The handler is done with the body: its upload slot is free, even if the answer still waits
      // (a long-polling score request holds no slot while it polls).
      self->release_upload_slot();
      self->respond(std::move(r), unread || !self->keep_alive_);
    });
  });
}

size_t Session::read_body(char* data, size_t size) {
  for (;;) {
    if (body_done_) return 0;
    std::promise<std::pair<beast::error_code, size_t>> done;
    auto result = done.get_future();
    net::post(stream_.get_executor(), [this, data, size, &done] {
      chunks_->get().body().data = data;
      chunks_->get().body().size = size;
      stream_.expires_after(server_.options.body_idle_timeout);
      http::async_read_some(stream_, buffer_, *chunks_, [this, size, &done](beast::error_code ec, size_t) {
        const size_t got = size - chunks_->get().body().size;
        if (ec == http::error::need_buffer) ec = {};
        body_done_ = !ec && chunks_->is_done();
        done.set_value({ec, got});
      });
    });
    while (result.wait_for(std::chrono::milliseconds(200)) != std::future_status::ready)
      if (server_.stopping) throw Unavailable("the server is stopping");
    const auto [ec, got] = result.get();
    if (ec == http::error::body_limit)
      throw PayloadTooLarge("the upload is larger than the limit of " +
                            std::to_string(server_.options.max_upload_bytes >> 20) + " MB");
    if (timed_out(ec)) throw Error(ErrorCode::request_timeout, "the upload stalled: no data for " +
                                   std::to_string(server_.options.body_idle_timeout.count()) + " s");
    if (ec) throw InvalidInput("the upload was cut off (" + ec.message() + ")");
    body_bytes_ += got;
    const double elapsed = std::chrono::duration<double>(Clock::now() - body_started_).count();
    if (elapsed > 30 && body_bytes_ < elapsed * static_cast<double>(server_.options.min_upload_rate))
      throw Error(ErrorCode::request_timeout, "the upload is too slow (under " +
                                                  std::to_string(server_.options.min_upload_rate / 1024) + " KB/s)");
    if (got > 0) return got;
  }
}

void Session::respond(Response response, bool close) {
  server_.metrics.observe_request(route_ ? route_->pattern : "unmatched", request_.method, response.status,
                                  std::chrono::duration<double>(Clock::now() - started_).count());
  if (response.deferred) return poll_later(response.deferred);
  response.headers.emplace_back("X-Request-Id", request_.request_id);
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (response.file) return write_file(std::move(response), close);
  write_string(std::move(response), close);
}

void Session::poll_later(std::shared_ptr<Deferred> deferred) {
  auto timer = std::make_shared<net::steady_timer>(stream_.get_executor(), deferred->interval);
  timer->async_wait([self = shared_from_this(), deferred, timer](beast::error_code ec) {
    if (ec) return;
    self->server_.handlers.post([self, deferred] {
      std::optional<Response> r;
      try {
        r = deferred->poll();
        if (!r && Clock::now() >= deferred->deadline) r = deferred->timeout();
      } catch (const std::exception& e) {
        core::logger("http")->error("{} {} [{}] failed while waiting: {}", self->request_.method, self->request_.path,
                                    self->request_.request_id, e.what());
        r = Response::error(ErrorCode::internal, "internal error; see the server log for request " +
                                                     self->request_.request_id);
      }
      net::post(self->stream_.get_executor(), [self, deferred, r = std::move(r)]() mutable {
        if (!r) return self->poll_later(deferred);
        r->headers.emplace_back("X-Request-Id", self->request_.request_id);
        r->headers.emplace_back("X-Content-Type-Options", "nosniff");
        self->write_string(std::move(*r), !self->keep_alive_);
      });
    });
  });
}

void Session::write_string(Response r, bool close) {
  auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), 11);
  for (const auto& [k, v] : r.headers) res->insert(k, v);
  res->set(http::field::content_type, r.content_type);
  res->body() = std::move(r.body);
  res->keep_alive(!close);
  res->prepare_payload();
  stream_.expires_after(server_.options.body_idle_timeout);
  http::async_write(stream_, *res, [self = shared_from_this(), res, close](beast::error_code ec, size_t) {
    self->after_write(ec, close);
  });
}

void Session::write_file(Response r, bool close) {
  auto send = std::make_shared<FileSend>();
  send->close = close;
  std::error_code size_error;
  const uint64_t size = std::filesystem::file_size(*r.file, size_error);
  send->in.open(*r.file, std::ios::binary);
  if (size_error || !send->in) return write_string(Response::error(ErrorCode::not_found, "file not found"), close);
  const auto range = request_.method == "GET" ? parse_byte_range(request_.header("Range").value_or(""), size) : ByteRange{};
  if (range.kind == ByteRange::Kind::unsatisfiable) {
    Response e = Response::error(ErrorCode::range_not_satisfiable, "range not satisfiable");
    e.headers = {{"Content-Range", "bytes */" + std::to_string(size)}, {"X-Request-Id", request_.request_id},
                 {"X-Content-Type-Options", "nosniff"}};
    return write_string(std::move(e), close);
  }
  const bool partial = range.kind == ByteRange::Kind::partial;
  const uint64_t first = partial ? range.first : 0, length = partial ? range.last - range.first + 1 : size;
  send->in.seekg(static_cast<std::streamoff>(first));
  send->remaining = length;
  send->buf.resize(64 * 1024);
  send->res = http::response<http::buffer_body>(partial ? http::status::partial_content : http::status::ok, 11);
  for (const auto& [k, v] : r.headers) send->res.insert(k, v);
  send->res.set(http::field::content_type, r.content_type);
  send->res.set(http::field::accept_ranges, "bytes");
  if (partial)
    send->res.set(http::field::content_range, "bytes " + std::to_string(range.first) + "-" +
                                                  std::to_string(range.last) + "/" + std::to_string(size));
  send->res.content_length(length);
  send->res.keep_alive(!close);
  send->res.body().data = nullptr;
  send->res.body().more = true;
  send->sr.emplace(send->res);
  stream_.expires_after(server_.options.body_idle_timeout);
  http::async_write_header(stream_, *send->sr, [self = shared_from_this(), send](beast::error_code ec, size_t) {
    if (ec) return self->close();
    self->write_file_chunk(send);
  });
}

void Session::write_file_chunk(std::shared_ptr<FileSend> send) {
  const size_t want = static_cast<size_t>(std::min<uint64_t>(send->buf.size(), send->remaining));
  send->in.read(send->buf.data(), static_cast<std::streamsize>(want));
  const auto got = static_cast<size_t>(send->in.gcount());
  if (got < want) return close(); // the file shrank under us: the promised length cannot be kept
  send->remaining -= got;
  send->res.body().data = send->buf.data();
  send->res.body().size = got;
  send->res.body().more = send->remaining > 0;
  stream_.expires_after(server_.options.body_idle_timeout);
  http::async_write(stream_, *send->sr, [self = shared_from_this(), send](beast::error_code ec, size_t) {
    if (ec == http::error::need_buffer) ec = {};
    if (ec) return self->close();
    if (send->remaining > 0) return self->write_file_chunk(send);
    self->after_write({}, send->close);
  });
}

void Session::after_write(beast::error_code ec, bool close_after) {
  if (ec || close_after) return close();
  read_head(false);
}

void Session::refuse(ErrorCode code, const std::string& message) {
  keep_alive_ = false;
  respond(Response::error(code, message), true);
}

void Session::close() {
  // Stop sending, then drain what the client still sends for a moment: closing with unread data would
  // reset the connection and could destroy the answer before the client reads it.
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) return stream_.close();
  auto drain = std::make_shared<std::array<char, 16 * 1024>>();
  auto drained = std::make_shared<size_t>(0);
  stream_.expires_after(std::chrono::seconds(2));
  std::function<void()> more;
  auto self = shared_from_this();
  auto step = std::make_shared<std::function<void()>>();
  *step = [self, drain, drained, step] {
    self->stream_.async_read_some(net::buffer(*drain), [self, drain, drained, step](beast::error_code e, size_t n) {
      *drained += n;
      if (e || *drained > (1u << 20)) {
        self->stream_.close();
        *step = nullptr; // break the cycle
        return;
      }
      (*step)();
    });
  };
  (*step)();
}

} // namespace curator::serve
