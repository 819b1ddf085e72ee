#include "ingest/url_fetch.hpp"

#include "core/error.hpp"

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

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

} // namespace

void check_url(const std::string& url) {
  if (url.size() > 2000) throw InvalidInput("URL is longer than 2000 bytes");
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    throw InvalidInput("only http:// and https:// URLs are accepted");
  for (unsigned char c : url)
    if (c <= 0x20 || c == 0x7f) throw InvalidInput("URL contains spaces or control characters");
}

core::BlobRef fetch_url(const std::string& url, const core::BlobStore& blobs, const FetchLimits& limits) {
  check_url(url);
  global_init();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) throw Error(ErrorCode::internal, "curl_easy_init failed");
  auto writer = blobs.writer();
  Sink sink{&writer, limits.max_bytes};
  char error[CURL_ERROR_SIZE] = {0};
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, static_cast<long>(limits.max_redirects));
  curl_easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(limits.timeout_s));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(limits.max_bytes));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "curator/" CURATOR_VERSION);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  const CURLcode rc = curl_easy_perform(h);
  if (sink.too_large || rc == CURLE_FILESIZE_EXCEEDED)
    throw InvalidInput("download is larger than the limit of " + std::to_string(limits.max_bytes >> 20) + " MB");
  if (rc == CURLE_TOO_MANY_REDIRECTS) throw InvalidInput("too many redirects (limit " + std::to_string(limits.max_redirects) + ")");
  if (rc == CURLE_UNSUPPORTED_PROTOCOL) throw InvalidInput("the URL or a redirect uses a scheme other than http(s)");
  if (rc != CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    throw InvalidInput("download failed: " + std::string(status >= 400 ? "HTTP " + std::to_string(status) : (error[0] ? error : curl_easy_strerror(rc))));
  }
  return writer.commit();
}

} // namespace curator::ingest
