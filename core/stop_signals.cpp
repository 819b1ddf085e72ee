#include "core/stop_signals.hpp"

#include "core/error.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <unistd.h>

namespace curator::core {

namespace {

int g_pipe[2] = {-1, -1}; // the handler may only touch async-signal-safe state

void write_signal_to_pipe(int sig) {
  const int saved = errno;
  const unsigned char byte = static_cast<unsigned char>(sig);
  [[maybe_unused]] auto n = ::write(g_pipe[1], &byte, 1); // a full pipe already holds a pending stop
  errno = saved;
}

} // namespace

StopSignals::StopSignals() {
  if (g_pipe[0] < 0 && ::pipe2(g_pipe, O_CLOEXEC) != 0) throw Error(ErrorCode::internal, std::string("pipe2: ") + std::strerror(errno));
  ::fcntl(g_pipe[1], F_SETFL, O_NONBLOCK);
  struct sigaction action {};
  action.sa_handler = write_signal_to_pipe;
  action.sa_flags = SA_RESTART; // other threads' system calls carry on
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  // Threads started from here on inherit a mask without the signals, so their I/O is not interrupted;
  // wait() unblocks them in the waiting thread. (Were every thread to block them, they would stay pending.)
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
}

StopSignals::~StopSignals() {
  // The pipe stays open: a thread may still be waiting for a second signal while the process exits.
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
}

int StopSignals::wait() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_UNBLOCK, &stop, nullptr);
  unsigned char byte = 0;
  while (true) {
    const auto n = ::read(g_pipe[0], &byte, 1);
    if (n == 1) return byte;
    if (n < 0 && errno == EINTR) continue;
    throw Error(ErrorCode::internal, std::string("reading the signal pipe: ") + std::strerror(errno));
  }
}

const char* StopSignals::name(int sig) { return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "signal"; }

} // namespace curator::core
