#include "ingest/decode_check.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

extern char** environ;

namespace curator::ingest {

namespace {

struct ProbeOutput {
  std::map<std::string, int64_t> counts; ///< key=value lines of stdout with integer values
  int stderr_lines = 0;
};

// Runs ffprobe with `args` on `video`, killed after `limit`. Nothing when it cannot run or was killed.
std::optional<ProbeOutput> run_ffprobe(std::vector<std::string> args, const std::filesystem::path& video,
                                       std::chrono::seconds limit) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) return std::nullopt;
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]), close(out[1]);
    return std::nullopt;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  args.insert(args.begin(), {"ffprobe", "-hide_banner", "-v", "error"});
  args.insert(args.end(), {"-of", "default=noprint_wrappers=1", video.string()});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, "ffprobe", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]), close(err[1]);
  if (rc != 0) {
    close(out[0]), close(err[0]);
    return std::nullopt;
  }
  std::string stdout_text, stderr_text;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  bool open_out = true, open_err = true, killed = false;
  char buf[4096];
  while (open_out || open_err) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      killed = true;
      break;
    }
    fds[0].fd = open_out ? out[0] : -1;
    fds[1].fd = open_err ? err[0] : -1;
    if (poll(fds, 2, 200) < 0) break;
    for (int i = 0; i < 2; ++i)
      if (fds[i].revents & (POLLIN | POLLHUP)) {
        const ssize_t n = read(fds[i].fd, buf, sizeof buf);
        if (n <= 0) (i == 0 ? open_out : open_err) = false;
        else if (i == 0) stdout_text.append(buf, static_cast<size_t>(n));
        else if (stderr_text.size() < (1u << 20)) stderr_text.append(buf, static_cast<size_t>(n));
      }
  }
  close(out[0]), close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (killed) return std::nullopt;
  ProbeOutput r;
  std::istringstream lines(stdout_text);
  for (std::string line; std::getline(lines, line);) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    try {
      r.counts[line.substr(0, eq)] = std::stoll(line.substr(eq + 1));
    } catch (const std::exception&) {
    }
  }
  for (char c : stderr_text) r.stderr_lines += c == '\n';
  return r;
}

} // namespace

std::optional<DecodeReport> check_decode(const std::filesystem::path& video, std::chrono::seconds limit) {
  const auto out = run_ffprobe({"-threads", "1", "-select_streams", "v:0", "-count_packets", "-count_frames",
                                "-show_entries", "stream=nb_read_packets,nb_read_frames"},
                               video, limit);
  if (!out || !out->counts.count("nb_read_packets") || !out->counts.count("nb_read_frames")) return std::nullopt;
  DecodeReport r;
  r.packets = out->counts.at("nb_read_packets");
  r.frames = out->counts.at("nb_read_frames");
  r.error_lines = out->stderr_lines;
  return r;
}

std::optional<int64_t> count_packets(const std::filesystem::path& video, std::chrono::seconds limit) {
  const auto out = run_ffprobe({"-select_streams", "v:0", "-count_packets", "-show_entries", "stream=nb_read_packets"},
                               video, limit);
  if (!out || !out->counts.count("nb_read_packets")) return std::nullopt;
  return out->counts.at("nb_read_packets");
}

std::future<std::optional<int64_t>> count_packets_async(const std::filesystem::path& video) {
  return std::async(std::launch::async, [video] { return count_packets(video); });
}

} // namespace curator::ingest
