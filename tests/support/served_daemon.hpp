#pragma once
// The real `curator serve` in a child process on a fresh data folder (port 0), for probes from outside:
// raw sockets, slow clients, huge bodies, and the daemon's own memory (VmRSS) read from /proc.
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace curator::test {

class ServedDaemon {
public:
  /// Starts `curator serve` with these settings (scheduler off, face models from ctest) and waits for it.
  explicit ServedDaemon(const std::vector<std::pair<std::string, std::string>>& settings = {},
                        std::optional<std::filesystem::path> data_dir = std::nullopt);
  ~ServedDaemon();
  int port() const { return port_; }
  const std::filesystem::path& data_dir() const { return data_; }
  /// The daemon's resident memory in KB.
  long rss_kb() const;
  std::string log() const;

private:
  TempDir tmp_;
  std::filesystem::path data_;
  std::unique_ptr<Process> process_;
  int port_ = 0;
};

/// A raw TCP connection to 127.0.0.1:port with timeouts, for what an HTTP client library will not send.
class RawClient {
public:
  explicit RawClient(int port);
  ~RawClient();
  /// False when the peer closed or reset the connection.
  bool send(const std::string& bytes);
  /// Everything the server sends until it closes the connection or `timeout` passes.
  std::string read_all(std::chrono::milliseconds timeout);
  /// Whether the server has closed the connection (reads end of stream within `timeout`).
  bool closed_by_server(std::chrono::milliseconds timeout);

private:
  int fd_ = -1;
};

} // namespace curator::test
