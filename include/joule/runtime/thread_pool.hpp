// ThreadPool: the Executor of hosted builds. The caller and threads - 1 workers take the parts of
// a layer's work in turn; run() returns when every part is done and every worker has seen the job.
// Between layers the workers spin for a short while (a network's layers follow each other within
// microseconds, and waking a sleeping thread costs tens of them, or a scheduler tick on a busy
// machine), then sleep until the next job. Which thread runs which part does not matter: layers
// split their work so that each output is computed the same way whichever part it falls in.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "joule/core/executor.hpp"
#include "joule/core/target.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace joule::inline JOULE_TARGET::runtime {

class ThreadPool final : public Executor {
 public:
  /// `threads` in all, the caller included (at least 1).
  explicit ThreadPool(int threads) : threads_(threads < 1 ? 1 : threads) {
    for (int w = 1; w < threads_; ++w) workers_.emplace_back([this] { work(); });
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    for (std::thread& worker : workers_) worker.join();
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const override { return threads_; }

  void run(std::size_t parts, FunctionRef<void(std::size_t)> part) override {
    if (parts == 0) return;
    if (parts == 1 || workers_.empty()) {
      for (std::size_t i = 0; i < parts; ++i) part(i);
      return;
    }
    job_.store(&part);
    parts_.store(parts);
    next_.store(0);
    acknowledged_.store(0);
    {
      // Under the lock, so that a worker about to sleep either sees the new generation or is woken.
      std::lock_guard<std::mutex> lock(mutex_);
      generation_.fetch_add(1);
    }
    if (sleeping_.load() > 0) wake_.notify_all();
    take_parts();
    const int workers = static_cast<int>(workers_.size());
    while (acknowledged_.load() < workers) pause();
  }

 private:
  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#else
    std::this_thread::yield();
#endif
  }

  void take_parts() {
    const FunctionRef<void(std::size_t)>* job = job_.load();
    const std::size_t parts = parts_.load();
    for (std::size_t i = next_.fetch_add(1); i < parts; i = next_.fetch_add(1)) (*job)(i);
  }

  void work() {
    std::uint64_t seen = 0;
    for (;;) {
      // Spin for about a millisecond, then sleep.
      const auto spin_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1);
      while (generation_.load() == seen) {
        pause();
        if (std::chrono::steady_clock::now() < spin_until) continue;
        std::unique_lock<std::mutex> lock(mutex_);
        sleeping_.fetch_add(1);
        wake_.wait(lock, [&] { return generation_.load() != seen; });
        sleeping_.fetch_sub(1);
      }
      seen = generation_.load();
      if (stop_) return;
      take_parts();
      acknowledged_.fetch_add(1);
    }
  }

  const int threads_;
  std::vector<std::thread> workers_;
  std::atomic<const FunctionRef<void(std::size_t)>*> job_{nullptr};
  std::atomic<std::size_t> parts_{0};
  std::atomic<std::size_t> next_{0};
  std::atomic<int> acknowledged_{0};
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<int> sleeping_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
};

}  // namespace joule::inline JOULE_TARGET::runtime
