#pragma once
//! A fixed pool of threads running posted tasks in order of arrival: the HTTP handlers run here, never
//! on the network threads. post() is thread-safe; the destructor runs what is queued, then joins.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace curator::serve {

class TaskPool {
public:
  explicit TaskPool(int threads);
  ~TaskPool();
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  void post(std::function<void()> task);
  /// Stops taking tasks, runs the queued ones and joins the threads. Idempotent.
  void stop();

private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

} // namespace curator::serve
