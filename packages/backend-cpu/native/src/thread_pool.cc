#include "thread_pool.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define NIBBLE_PAUSE() _mm_pause()
#else
#define NIBBLE_PAUSE() ((void)0)
#endif

namespace nibble {

namespace {
thread_local bool in_pool_task = false;
constexpr int kSpinIterations = 200000;  // ~50-100 µs of polling before sleeping
}  // namespace

int hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

ThreadPool& ThreadPool::instance() {
  static ThreadPool pool;
  return pool;
}

ThreadPool::ThreadPool() { start(hardware_threads() - 1); }
ThreadPool::~ThreadPool() { stop(); }

void ThreadPool::set_threads(int n) {
  if (n < 1) n = 1;
  if (n > 64) n = 64;
  if (n == threads()) return;
  stop();
  start(n - 1);
}

void ThreadPool::start(int workers) {
  quit_.store(false);
  // The generation is read here, not in the new thread: a job posted before the thread first runs must still be
  // seen as new by it.
  const uint32_t seen = static_cast<uint32_t>(ticket_.load() >> 32);
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this, i, seen] { worker_loop(i + 1, seen); });
}

void ThreadPool::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    quit_.store(true);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void ThreadPool::work(int worker, uint32_t generation) {
  const bool was = in_pool_task;
  in_pool_task = true;
  if (pinned_.load(std::memory_order_relaxed)) {
    // a thread runs its own task if nobody took it; the caller (worker 0) then takes whatever is still unclaimed
    auto claim = [&](long t) {
      uint32_t seen = pinned_claim_[t].load(std::memory_order_acquire);
      // claimed for this job or a later one (a late thread must never run a newer job's task): leave it
      if (static_cast<int32_t>(seen - generation) >= 0 || !pinned_claim_[t].compare_exchange_strong(seen, generation))
        return;
      fn_(ctx_, t, worker);
      done_.fetch_add(1, std::memory_order_release);
    };
    if (static_cast<uint32_t>(ticket_.load(std::memory_order_acquire) >> 32) == generation) {
      const long tasks = tasks_.load(std::memory_order_relaxed);
      if (worker < tasks) claim(worker);
      if (worker == 0)
        for (long t = 1; t < tasks; ++t) claim(t);
    }
    in_pool_task = was;
    return;
  }
  for (;;) {
    uint64_t v = ticket_.load(std::memory_order_acquire);
    if (static_cast<uint32_t>(v >> 32) != generation) break;
    const long t = static_cast<long>(v & 0xffffffffu);
    if (t >= tasks_.load(std::memory_order_relaxed)) break;
    if (!ticket_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel)) continue;
    // the claimed task keeps the job alive: the caller cannot post a new one until it is done
    fn_(ctx_, t, worker);
    done_.fetch_add(1, std::memory_order_release);
  }
  in_pool_task = was;
}

void ThreadPool::worker_loop(int index, uint32_t seen) {
  auto current = [this] { return static_cast<uint32_t>(ticket_.load(std::memory_order_acquire) >> 32); };
  for (;;) {
    uint32_t g = current();
    for (int spin = 0; g == seen && spin < kSpinIterations && !quit_.load(std::memory_order_relaxed); ++spin) {
      NIBBLE_PAUSE();
      g = current();
    }
    if (g == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return quit_.load() || current() != seen; });
      g = current();
    }
    if (quit_.load()) return;
    seen = g;
    work(index, g);
  }
}

void ThreadPool::run(long tasks, TaskFn fn, void* ctx) {
  if (tasks <= 0) return;
  if (tasks == 1 || workers_.empty() || in_pool_task) {
    bool was = in_pool_task;
    in_pool_task = true;
    for (long t = 0; t < tasks; ++t) fn(ctx, t, 0);
    in_pool_task = was;
    return;
  }
  post(tasks, fn, ctx, false);
}

void ThreadPool::run_pinned(TaskFn fn, void* ctx) {
  if (workers_.empty() || in_pool_task) {
    bool was = in_pool_task;
    in_pool_task = true;
    for (long t = 0; t < threads(); ++t) fn(ctx, t, 0);
    in_pool_task = was;
    return;
  }
  post(threads(), fn, ctx, true);
}

void ThreadPool::post(long tasks, TaskFn fn, void* ctx, bool pinned) {
  const uint32_t generation = ++generation_;
  tasks_.store(tasks, std::memory_order_relaxed);
  fn_ = fn;
  ctx_ = ctx;
  pinned_.store(pinned, std::memory_order_relaxed);
  done_.store(0, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ticket_.store(static_cast<uint64_t>(generation) << 32, std::memory_order_release);
  }
  wake_.notify_all();
  work(0, generation);
  while (done_.load(std::memory_order_acquire) != tasks) NIBBLE_PAUSE();
}

}  // namespace nibble
