// Machine-limit probe for the nibble bench: FMA peak (GFLOP/s) and STREAM-style read bandwidth (GB/s), each on one
// thread and on all threads. Compiled on the fly with g++ -O3 -march=native by machine-probe.ts; prints one JSON
// object on stdout. Uses GCC vector extensions so the compiler emits the widest FMA the host has (AVX-512 here).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#if defined(__AVX512F__)
constexpr int kLanes = 16;
#elif defined(__AVX__)
constexpr int kLanes = 8;
#else
constexpr int kLanes = 4;
#endif
typedef float vf __attribute__((vector_size(kLanes * 4)));

using Clock = std::chrono::steady_clock;

// Independent accumulator chains: enough to cover FMA latency (4 cycles) × 2 FMA pipes with margin, and few enough
// to stay in registers with the two constants. AVX2 has 16 registers: 16 chains spilled three of them to the stack,
// and the store-to-load round trips halved the measured peak on Zen 3 (56 against 100 GFLOP/s on one core).
#if defined(__AVX512F__)
constexpr int kChains = 16;
#else
constexpr int kChains = 12;
#endif

static double fma_kernel(long iters, float seed) {
  vf mul, add;
  for (int l = 0; l < kLanes; l++) {
    mul[l] = 0.999999f;
    add[l] = 1e-7f * seed;
  }
  // Named locals rather than an array: GCC keeps them in registers (an array was spilled to the stack).
#if defined(__AVX512F__)
#define NIBBLE_CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
#else
#define NIBBLE_CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#endif
#define NIBBLE_DECLARE(c) vf a##c = mul * (seed + c);
#define NIBBLE_STEP(c) a##c = a##c * mul + add;
#define NIBBLE_SUM(c) for (int l = 0; l < kLanes; l++) s += a##c[l];
  NIBBLE_CHAINS(NIBBLE_DECLARE)
  for (long i = 0; i < iters; i++) {
    NIBBLE_CHAINS(NIBBLE_STEP)
  }
  double s = 0;
  NIBBLE_CHAINS(NIBBLE_SUM)
  return s;
}

static double read_kernel(const float* data, size_t n) {
  vf acc[8] = {};
  const vf* v = reinterpret_cast<const vf*>(data);
  size_t nv = n / kLanes;
  for (size_t i = 0; i + 8 <= nv; i += 8)
    for (int c = 0; c < 8; c++) acc[c] += v[i + c];
  double s = 0;
  for (int c = 0; c < 8; c++)
    for (int l = 0; l < kLanes; l++) s += acc[c][l];
  return s;
}

// Runs `work(thread_index)` on `threads` threads started together; returns the wall time of the slowest, in s.
template <class F>
static double run_parallel(int threads, F work) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; t++)
    pool.emplace_back([&, t] {
      ready++;
      while (!go.load()) {
      }
      work(t);
    });
  while (ready.load() < threads) {
  }
  auto t0 = Clock::now();
  go = true;
  for (auto& th : pool) th.join();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

volatile double g_sink;

static double fma_gflops(int threads) {
  const long iters = 20'000'000;  // 20M × 16 chains × 16 lanes (AVX-512) × 2 flops = 10.2 GFLOP per thread
  double best = 0;
  for (int rep = 0; rep < 3; rep++) {
    double secs = run_parallel(threads, [&](int t) { g_sink = fma_kernel(iters, 1.0f + t); });
    best = std::max(best, threads * (double)iters * kChains * kLanes * 2 / secs / 1e9);
  }
  return best;
}

static double read_gbs(int threads, size_t bytes_per_thread) {
  size_t n = bytes_per_thread / 4;
  std::vector<float*> bufs(threads);
  // Each thread first-touches its own buffer (NUMA-friendly, and it pages the memory in before timing).
  run_parallel(threads, [&](int t) {
    float* p = static_cast<float*>(std::aligned_alloc(64, n * 4));
    for (size_t i = 0; i < n; i++) p[i] = 1.0f;
    bufs[t] = p;
  });
  double best = 0;
  for (int rep = 0; rep < 5; rep++) {
    double secs = run_parallel(threads, [&](int t) { g_sink = read_kernel(bufs[t], n); });
    best = std::max(best, threads * (double)bytes_per_thread / secs / 1e9);
  }
  for (float* p : bufs) std::free(p);
  return best;
}

int main(int argc, char** argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : (int)std::thread::hardware_concurrency();
  if (threads < 1) threads = 1;
  // 256 MiB per thread: far larger than the L3 (32 MiB), so the reads come from DRAM.
  const size_t bytes = 256ull << 20;
  double f1 = fma_gflops(1);
  double fn = fma_gflops(threads);
  double r1 = read_gbs(1, bytes);
  double rn = read_gbs(threads, bytes);
  std::printf(
      "{\"vectorBits\":%d,\"threads\":%d,\"fmaGflops1\":%.2f,\"fmaGflopsAll\":%.2f,\"readGBs1\":%.2f,"
      "\"readGBsAll\":%.2f}\n",
      kLanes * 32, threads, f1, fn, r1, rn);
  return 0;
}
