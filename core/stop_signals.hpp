#pragma once

namespace curator::core {

//! Waits for SIGINT or SIGTERM in ordinary code rather than in a signal handler.
//! Blocking the signals and calling sigwait is not enough: libraries start threads before main
//! (OpenBLAS does, with every signal unblocked), and a signal delivered to one of them kills the process.
//! So the handlers are process-wide and write the signal number to a pipe that wait() reads.
//! Construct one per process, before starting threads that should not be interrupted by the signals.
class StopSignals {
public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  //! Blocks until the next SIGINT or SIGTERM and returns its number (one received earlier returns at
  //! once). Unblocks the signals in the calling thread, so call it from a thread that expects them.
  int wait();

  static const char* name(int sig);
};

} // namespace curator::core
