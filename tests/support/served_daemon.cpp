#include "tests/support/served_daemon.hpp"

#include "tests/support/test_data.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <csignal>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace curator::test {

using namespace std::chrono_literals;

ServedDaemon::ServedDaemon(const std::vector<std::pair<std::string, std::string>>& settings,
                           std::optional<std::filesystem::path> data_dir)
    : tmp_("curator-served"), data_(data_dir.value_or(tmp_.path() / "var")) {
  std::vector<std::string> argv = {required_env_path("CURATOR_BIN").string(), "serve", "--data-dir", data_.string(),
                                   "--port", "0", "--set", "scheduler.enabled=false", "--set",
                                   "faces.models_dir=" + required_env_path("CURATOR_MODELS_DIR").string()};
  for (const auto& [k, v] : settings) argv.insert(argv.end(), {"--set", k + "=" + v});
  process_ = std::make_unique<Process>(argv, std::map<std::string, std::string>{}, tmp_.path() / "daemon");
  const auto info_file = data_ / "run" / "daemon.json";
  const bool up = eventually(
      [&] {
        std::ifstream in(info_file);
        if (!in) return false;
        auto j = nlohmann::json::parse(in, nullptr, false);
        if (j.is_discarded() || !j.contains("port")) return false;
        port_ = j["port"].get<int>();
        return port_ > 0;
      },
      30s);
  INFO(log());
  REQUIRE(up);
}

ServedDaemon::~ServedDaemon() {
  if (!process_) return;
  process_->signal(SIGTERM);
  if (!process_->wait(20s)) process_->signal(SIGKILL);
}

long ServedDaemon::rss_kb() const {
  std::ifstream in("/proc/" + std::to_string(process_->pid()) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

std::string ServedDaemon::log() const { return process_ ? process_->stderr_text() : ""; }

RawClient::RawClient(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
  timeval tv{5, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

RawClient::~RawClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawClient::send(const std::string& bytes) {
  if (fd_ < 0) return false;
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::string RawClient::read_all(std::chrono::milliseconds timeout) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[65536];
  while (fd_ >= 0 && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

bool RawClient::closed_by_server(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (fd_ >= 0 && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return true;
  }
  return false;
}

} // namespace curator::test
