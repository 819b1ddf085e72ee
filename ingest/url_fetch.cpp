#include "ingest/url_fetch.hpp"

#include "core/error.hpp"
#include "ingest/address_policy.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace curator::ingest {

namespace {

struct Sink {
  core::BlobStore::Writer* writer;
  int64_t max_bytes;
  bool too_large = false;
};

size_t on_data(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t bytes = size * n;
  if (static_cast<int64_t>(sink->writer->size() + bytes) > sink->max_bytes) {
    sink->too_large = true;
    return 0; // aborts the transfer
  }
  sink->writer->write(data, bytes);
  return bytes;
}

// Every socket curl wants: refused unless its address is public and its port allowed.
struct Guard {
  const FetchLimits* limits;
  std::string refusal;
};

std::string numeric(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (sa->sa_family == AF_INET) inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  else if (sa->sa_family == AF_INET6) inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  return buf;
}

curl_socket_t open_socket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* guard = static_cast<Guard*>(user);
  if (purpose != CURLSOCKTYPE_IPCXN) {
    guard->refusal = "refused: not a plain connection";
    return CURL_SOCKET_BAD;
  }
  const auto* sa = &address->addr;
  if (auto why = refused_address(sa); why && !guard->limits->allowed.contains(numeric(sa))) {
    guard->refusal = "refused: " + *why;
    return CURL_SOCKET_BAD;
  }
  int port = 0;
  if (sa->sa_family == AF_INET) port = ntohs(reinterpret_cast<const sockaddr_in*>(sa)->sin_port);
  else if (sa->sa_family == AF_INET6) port = ntohs(reinterpret_cast<const sockaddr_in6*>(sa)->sin6_port);
  if (!guard->limits->ports.count(port)) {
    guard->refusal = "refused: port " + std::to_string(port) + " is not allowed (ingest.url_ports)";
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype, address->protocol);
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct UrlParts {
  std::string scheme, host;
  int port = 0;
};

UrlParts parse(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), &curl_url_cleanup);
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) throw InvalidInput("not a valid URL");
  auto part = [&](CURLUPart which, unsigned flags) {
    char* value = nullptr;
    if (curl_url_get(u.get(), which, &value, flags) != CURLUE_OK || !value) return std::string();
    std::string out = value;
    curl_free(value);
    return out;
  };
  UrlParts p;
  p.scheme = part(CURLUPART_SCHEME, 0);
  p.host = part(CURLUPART_HOST, 0);
  const std::string port = part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  p.port = port.empty() ? 0 : std::stoi(port);
  return p;
}

} // namespace

void check_url(const std::string& url, const FetchLimits& limits) {
  if (url.size() > 2000) throw InvalidInput("URL is longer than 2000 bytes");
  for (unsigned char c : url)
    if (c <= 0x20 || c == 0x7f) throw InvalidInput("URL contains spaces or control characters");
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    throw InvalidInput("only http:// and https:// URLs are accepted");
  global_init();
  const auto p = parse(url);
  if (p.host.empty()) throw InvalidInput("the URL has no host");
  std::string literal = p.host;
  if (literal.size() > 2 && literal.front() == '[') literal = literal.substr(1, literal.size() - 2);
  if (auto why = refused_host(p.host); why && !limits.allowed.contains(literal)) throw InvalidInput("refused: " + *why);
  if (!limits.ports.count(p.port))
    throw InvalidInput("refused: port " + std::to_string(p.port) + " is not allowed (ingest.url_ports)");
}

core::BlobRef fetch_url(const std::string& url, const core::BlobStore& blobs, const FetchLimits& limits) {
  check_url(url, limits);
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) throw Error(ErrorCode::internal, "curl_easy_init failed");
  auto writer = blobs.writer();
  Sink sink{&writer, limits.max_bytes};
  Guard guard{&limits, ""};
  char error[CURL_ERROR_SIZE] = {0};
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, static_cast<long>(limits.max_redirects));
  curl_easy_setopt(h, CURLOPT_PROXY, ""); // never a proxy from the environment: the guard sees the real peer
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &guard);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(limits.timeout_s));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
  if (limits.min_bytes_per_s > 0) {
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(limits.min_bytes_per_s));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(limits.low_speed_s));
  }
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(limits.max_bytes));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "curator/" CURATOR_VERSION);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  const CURLcode rc = curl_easy_perform(h);
  if (!guard.refusal.empty()) throw InvalidInput(guard.refusal);
  if (sink.too_large || rc == CURLE_FILESIZE_EXCEEDED)
    throw InvalidInput("download is larger than the limit of " + std::to_string(limits.max_bytes >> 20) + " MB");
  if (rc == CURLE_TOO_MANY_REDIRECTS) throw InvalidInput("too many redirects (limit " + std::to_string(limits.max_redirects) + ")");
  if (rc == CURLE_UNSUPPORTED_PROTOCOL) throw InvalidInput("the URL or a redirect uses a scheme other than http(s)");
  if (rc == CURLE_OPERATION_TIMEDOUT)
    throw InvalidInput("download too slow: under " + std::to_string(limits.min_bytes_per_s / 1024) + " KB/s, or over " +
                       std::to_string(limits.timeout_s) + " s in all");
  if (rc != CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    // Status codes of public servers only (internal ones were never contacted); no resolver or socket
    // details, which would make an oracle of the form.
    throw InvalidInput(status >= 400 ? "download failed: the server answered HTTP " + std::to_string(status)
                                     : std::string("download failed: the server could not be reached"));
  }
  return writer.commit();
}

} // namespace curator::ingest
