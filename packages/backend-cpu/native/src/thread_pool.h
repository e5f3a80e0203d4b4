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

  /**
   * Self-check for tests: runs `jobs` jobs alternating between run() with 1..2*threads() tasks and run_pinned(),
   * counting how often each task ran. Returns the number of jobs in which some task did not run exactly once.
   */
  long stress(long jobs);

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
  void work_pinned(int worker, uint32_t generation);
  void post(long tasks, TaskFn fn, void* ctx, bool pinned);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  // (job generation << 32) | kPinnedBit if the job is pinned | next task index. A worker claims a task with one
  // CAS on the whole word, so a worker that wakes up late sees a newer generation and backs off and the caller
  // never waits for a worker that had nothing to do. Everything that tells a worker how to run a job (pinned or
  // not) is in the word it validated; the task count is not, so post() first closes the finished job's word
  // (index kClosed) before it writes the next job's count: a late worker's CAS on the old word then fails instead
  // of claiming a task index of the new job under the old generation (which ran a task twice and overshot done_).
  std::atomic<uint64_t> ticket_{0};
  std::atomic<long> done_{0};
  std::atomic<long> tasks_{0};
  std::atomic<bool> quit_{false};
  std::atomic<uint32_t> pinned_claim_[64] = {};  // generation that claimed pinned task t
  uint32_t generation_ = 0;  // written by the calling thread only
  TaskFn fn_ = nullptr;
  void* ctx_ = nullptr;
};

int hardware_threads();

}  // namespace nibble
