// A persistent pool of std::threads. The calling thread takes part in the work, so `threads()` counts it.
// Workers spin briefly after a job before sleeping, because recurrent kernels (LSTM steps) call the pool
// thousands of times per second and a condition-variable wake-up costs several microseconds.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace nibble {

class ThreadPool {
 public:
  using TaskFn = void (*)(void* ctx, long task, int worker);

  static ThreadPool& instance();
  ~ThreadPool();

  /** Total threads including the caller; clamped to [1, 64]. Restarts the workers. */
  void set_threads(int n);
  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  /** Runs fn(ctx, t, worker) for t in [0, tasks) and returns when all are done. Nested calls run inline. */
  void run(long tasks, TaskFn fn, void* ctx);

  /**
   * Runs fn(ctx, t, worker) for t < threads(), each task preferably on thread t (t = 0 is the caller), so work split
   * by index keeps its data in that core's cache across calls (the recurrent weight of an LSTM step, read again
   * every step). A task whose thread has not started it by the time the caller is done with its own is taken by
   * the caller, so a core busy with another process delays the job by at most that task, never by a time slice.
   */
  void run_pinned(TaskFn fn, void* ctx);

  template <class F>
  void parallel_pinned(F&& f) {
    using Fn = std::remove_reference_t<F>;
    run_pinned([](void* c, long t, int w) { (*static_cast<Fn*>(c))(t, w); }, const_cast<void*>(static_cast<const void*>(&f)));
  }

  /** Like run() but with a lambda. */
  template <class F>
  void parallel_for(long tasks, F&& f) {
    using Fn = std::remove_reference_t<F>;
    run(tasks, [](void* c, long t, int w) { (*static_cast<Fn*>(c))(t, w); }, const_cast<void*>(static_cast<const void*>(&f)));
  }

 private:
  ThreadPool();
  void start(int workers);
  void stop();
  void worker_loop(int index, uint32_t seen);
  void work(int worker, uint32_t generation);
  void post(long tasks, TaskFn fn, void* ctx, bool pinned);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  // (job generation << 32) | next task index: a worker claims a task with one CAS, and a worker that wakes up
  // late sees a newer generation and backs off, so the caller never waits for a worker that had nothing to do.
  std::atomic<uint64_t> ticket_{0};
  std::atomic<long> done_{0};
  std::atomic<long> tasks_{0};
  std::atomic<bool> quit_{false};
  std::atomic<bool> pinned_{false};
  std::atomic<uint32_t> pinned_claim_[64] = {};  // generation that claimed pinned task t  // stored before the ticket is published, loaded after it is acquired
  uint32_t generation_ = 0;  // written by the calling thread only
  TaskFn fn_ = nullptr;
  void* ctx_ = nullptr;
};

int hardware_threads();

}  // namespace nibble
