// Threading and iteration around the per-ISA kernels: elementwise, reductions, fake-quant, packed matmuls,
// microbenchmarks. Work is split in contiguous chunks; small inputs stay on the calling thread.
#include "ops.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <vector>

#include "aligned_buffer.h"
#include "thread_pool.h"

namespace nibble {

namespace {

constexpr long kParallelElements = 1 << 16;

long ceil_div(long a, long b) { return (a + b - 1) / b; }

// Runs f(begin, end) over [0, n) in up to 4×threads chunks of at least `grain`.
template <class F>
void split(long n, long grain, F&& f) {
  ThreadPool& pool = ThreadPool::instance();
  const long threads = pool.threads();
  long tasks = std::min<long>(threads * 4, ceil_div(n, std::max<long>(grain, 1)));
  if (threads == 1 || tasks <= 1) {
    f(0L, n);
    return;
  }
  pool.parallel_for(tasks, [&](long t, int) {
    const long b = n * t / tasks, e = n * (t + 1) / tasks;
    if (e > b) f(b, e);
  });
}

AlignedBuffer stream_buffer;

// Runs f(i) on exactly `t` distinct pool threads: each task waits until all have started, so no thread can take two.
template <class F>
void on_each_thread(int t, F&& f) {
  std::atomic<int> started{0};
  ThreadPool::instance().parallel_for(t, [&](long i, int) {
    started.fetch_add(1);
    while (started.load() < t) {
    }
    f(i);
  });
}

}  // namespace

namespace {

// Calls row(r, aoff, boff) for every row r of the output's last axis (split over the pool), with a's and b's element
// offsets of that row; strides per output dim (0 = broadcast).
template <class Row>
void for_broadcast_rows(int rank, const long* shape, const long* as, const long* bs, Row&& row) {
  const long inner = shape[rank - 1];
  long outer = 1;
  for (int d = 0; d < rank - 1; ++d) outer *= shape[d];
  if (inner == 0 || outer == 0) return;
  const long grain = std::max<long>(1, kParallelElements / inner);
  split(outer, grain, [&](long r0, long r1) {
    // decompose r0 into an index over the outer dims, then step it like an odometer
    std::vector<long> idx(static_cast<size_t>(std::max(rank - 1, 1)), 0);
    long rem = r0, aoff = 0, boff = 0;
    for (int d = rank - 2; d >= 0; --d) {
      idx[static_cast<size_t>(d)] = rem % shape[d];
      rem /= shape[d];
      aoff += idx[static_cast<size_t>(d)] * as[d];
      boff += idx[static_cast<size_t>(d)] * bs[d];
    }
    for (long r = r0; r < r1; ++r) {
      row(r, aoff, boff);
      for (int d = rank - 2; d >= 0; --d) {
        auto& i = idx[static_cast<size_t>(d)];
        ++i;
        aoff += as[d];
        boff += bs[d];
        if (i < shape[d]) break;
        aoff -= i * as[d];
        boff -= i * bs[d];
        i = 0;
      }
    }
  });
}

template <class F>
void compare_row(long n, const float* a, long sa, const float* b, long sb, uint8_t* out, F f) {
  if (sa == 1 && sb == 0) {
    const float y = *b;
    for (long i = 0; i < n; ++i) out[i] = f(a[i], y);
  } else if (sa == 0 && sb == 1) {
    const float x = *a;
    for (long i = 0; i < n; ++i) out[i] = f(x, b[i]);
  } else {
    for (long i = 0; i < n; ++i) out[i] = f(a[i * sa], b[i * sb]);
  }
}

}  // namespace

void binary_broadcast(BinaryOp op, int rank, const long* shape, const float* a, const long* as, const float* b,
                      const long* bs, float* out) {
  const KernelTable& kt = active_kernels();
  if (rank == 0) {
    kt.binary(op, 1, a, 1, b, 1, out);
    return;
  }
  const long inner = shape[rank - 1];
  for_broadcast_rows(rank, shape, as, bs, [&](long r, long aoff, long boff) {
    kt.binary(op, inner, a + aoff, as[rank - 1], b + boff, bs[rank - 1], out + r * inner);
  });
}

void compare_broadcast(int op, int rank, const long* shape, const float* a, const long* as, const float* b,
                       const long* bs, uint8_t* out) {
  if (rank == 0) {
    const long one = 1, zero = 0;
    compare_broadcast(op, 1, &one, a, &zero, b, &zero, out);
    return;
  }
  const long inner = shape[rank - 1];
  const long sa = as[rank - 1], sb = bs[rank - 1];
  for_broadcast_rows(rank, shape, as, bs, [&](long r, long aoff, long boff) {
    const float* x = a + aoff;
    const float* y = b + boff;
    uint8_t* o = out + r * inner;
    switch (op) {
      case 0: return compare_row(inner, x, sa, y, sb, o, [](float p, float q) -> uint8_t { return p < q; });
      case 1: return compare_row(inner, x, sa, y, sb, o, [](float p, float q) -> uint8_t { return p <= q; });
      case 2: return compare_row(inner, x, sa, y, sb, o, [](float p, float q) -> uint8_t { return p == q; });
      default: return compare_row(inner, x, sa, y, sb, o, [](float p, float q) -> uint8_t { return p != q; });
    }
  });
}

void cast_u8_f32(long n, const uint8_t* x, float* out) {
  split(n, kParallelElements, [&](long b, long e) {
    for (long i = b; i < e; ++i) out[i] = static_cast<float>(x[i]);
  });
}

void cast_f32_bool(long n, const float* x, uint8_t* out) {
  split(n, kParallelElements, [&](long b, long e) {
    for (long i = b; i < e; ++i) out[i] = x[i] != 0.0f;  // NaN != 0: true, as in the TypeScript kernel
  });
}

void unary_op(UnaryOp op, long n, const float* x, float* out) {
  const KernelTable& kt = active_kernels();
  split(n, kParallelElements, [&](long b, long e) { kt.unary(op, e - b, x + b, out + b); });
}

void reduce_rows(int op, long rows, long cols, const float* x, float* out) {
  const KernelTable& kt = active_kernels();
  if (rows == 1 && cols >= 4 * kParallelElements && ThreadPool::instance().threads() > 1) {
    // one long row: partial results per chunk, combined in chunk order (deterministic for a fixed thread count)
    const long chunks = ThreadPool::instance().threads() * 4L;
    std::vector<float> part(static_cast<size_t>(chunks));
    ThreadPool::instance().parallel_for(chunks, [&](long t, int) {
      const long b = cols * t / chunks, e = cols * (t + 1) / chunks;
      part[static_cast<size_t>(t)] = op == 0 ? kt.reduce_sum(x + b, e - b) : kt.reduce_max(x + b, e - b);
    });
    out[0] = op == 0 ? kt.reduce_sum(part.data(), chunks) : kt.reduce_max(part.data(), chunks);
    return;
  }
  split(rows, std::max<long>(1, kParallelElements / std::max<long>(cols, 1)), [&](long b, long e) {
    for (long r = b; r < e; ++r) out[r] = op == 0 ? kt.reduce_sum(x + r * cols, cols) : kt.reduce_max(x + r * cols, cols);
  });
}

void fake_quant(long rows, long cols, const float* x, const float* scale, const float* zero, long params, float qmin,
                float qmax, float* out) {
  const KernelTable& kt = active_kernels();
  if (params == 1) {
    const long n = rows * cols;
    split(n, kParallelElements, [&](long b, long e) { kt.fake_quant(e - b, x + b, scale[0], zero[0], qmin, qmax, out + b); });
    return;
  }
  split(rows, std::max<long>(1, kParallelElements / std::max<long>(cols, 1)), [&](long b, long e) {
    for (long r = b; r < e; ++r) kt.fake_quant(cols, x + r * cols, scale[r], zero[r], qmin, qmax, out + r * cols);
  });
}

void int8_matmul(long m, long k, long n, const float* x, const int8_t* w, const float* scale, const float* zero,
                 long group, float* y) {
  const KernelTable& kt = active_kernels();
  const long gpr = group > 0 ? ceil_div(k, group) : 1;
  const long grain = std::max<long>(1, (1 << 15) / std::max<long>(k, 1));
  for (long i0 = 0; i0 < m; i0 += 4) {
    const long mm = std::min<long>(4, m - i0);
    split(n, grain, [&](long r0, long r1) {
      kt.int8_rows(r1 - r0, k, w + r0 * k, k, scale + (group > 0 ? r0 * gpr : r0),
                   zero == nullptr ? nullptr : zero + (group > 0 ? r0 * gpr : r0), group, gpr, x + i0 * k, k, mm,
                   y + i0 * n + r0, n);
    });
  }
}

void int4_matmul(long m, long k, long n, const float* x, const uint8_t* w, bool is_signed, const float* scale,
                 const float* zero, long group, float* y) {
  const KernelTable& kt = active_kernels();
  const long gpr = group > 0 ? ceil_div(k, group) : 1;
  const long ldw = ceil_div(k, 2);
  const long grain = std::max<long>(1, (1 << 15) / std::max<long>(k, 1));
  for (long i0 = 0; i0 < m; i0 += 4) {
    const long mm = std::min<long>(4, m - i0);
    split(n, grain, [&](long r0, long r1) {
      kt.int4_rows(r1 - r0, k, w + r0 * ldw, ldw, is_signed ? 1 : 0, scale + (group > 0 ? r0 * gpr : r0),
                   zero == nullptr ? nullptr : zero + (group > 0 ? r0 * gpr : r0), group, gpr, x + i0 * k, k, mm,
                   y + i0 * n + r0, n);
    });
  }
}

void pq_matmul(long m, long k, long n, const float* x, const float* codebook, long centroids, long d,
               const uint8_t* codes, float* y) {
  const long subs = k / d;
  // table[i][s][c] = x[i, s·d:(s+1)·d] · codebook[c]: S×K floats per activation row (L1/L2 resident)
  std::vector<float> table(static_cast<size_t>(m * subs * centroids));
  for (long i = 0; i < m; ++i)
    for (long s = 0; s < subs; ++s) {
      const float* xs = x + i * k + s * d;
      float* t = table.data() + (i * subs + s) * centroids;
      for (long c = 0; c < centroids; ++c) {
        const float* cb = codebook + c * d;
        float acc = 0.f;
        for (long j = 0; j < d; ++j) acc += xs[j] * cb[j];
        t[c] = acc;
      }
    }
  split(n, std::max<long>(1, 4096 / std::max<long>(subs, 1)), [&](long r0, long r1) {
    for (long i = 0; i < m; ++i) {
      const float* t = table.data() + i * subs * centroids;
      for (long r = r0; r < r1; ++r) {
        const uint8_t* cr = codes + r * subs;
        float a0 = 0.f, a1 = 0.f, a2 = 0.f, a3 = 0.f;
        long s = 0;
        for (; s + 4 <= subs; s += 4) {
          a0 += t[s * centroids + cr[s]];
          a1 += t[(s + 1) * centroids + cr[s + 1]];
          a2 += t[(s + 2) * centroids + cr[s + 2]];
          a3 += t[(s + 3) * centroids + cr[s + 3]];
        }
        for (; s < subs; ++s) a0 += t[s * centroids + cr[s]];
        y[i * n + r] = (a0 + a1) + (a2 + a3);
      }
    }
  });
}

double fma_peak(long iterations, int threads) {
  ThreadPool& pool = ThreadPool::instance();
  const KernelTable& kt = active_kernels();
  const int t = std::max(1, std::min(threads, pool.threads()));
  auto start = std::chrono::steady_clock::now();
  std::vector<double> flops(static_cast<size_t>(t));
  if (t == 1) flops[0] = kt.fma_loop(iterations);
  else on_each_thread(t, [&](long i) { flops[static_cast<size_t>(i)] = kt.fma_loop(iterations); });
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double total = 0;
  for (double f : flops) total += f;
  return total / seconds;
}

double stream_read(size_t bytes, int repeats, int threads) {
  ThreadPool& pool = ThreadPool::instance();
  const KernelTable& kt = active_kernels();
  const size_t n = bytes / sizeof(float);
  float* data = stream_buffer.floats(n);
  const int t = std::max(1, std::min(threads, pool.threads()));
  // first touch from the threads that will read, then one warm-up sweep
  pool.parallel_for(t, [&](long i, int) {
    const size_t b = n * static_cast<size_t>(i) / static_cast<size_t>(t), e = n * static_cast<size_t>(i + 1) / static_cast<size_t>(t);
    for (size_t j = b; j < e; ++j) data[j] = 1.f;
  });
  volatile float sink = 0.f;
  auto sweep = [&] {
    if (t == 1) {
      sink = sink + kt.read_sum(data, n);
      return;
    }
    on_each_thread(t, [&](long i) {
      const size_t b = n * static_cast<size_t>(i) / static_cast<size_t>(t), e = n * static_cast<size_t>(i + 1) / static_cast<size_t>(t);
      float s = kt.read_sum(data + b, e - b);
      if (s == -1.f) sink = s;
    });
  };
  sweep();
  double best = 0.0;
  for (int r = 0; r < repeats; ++r) {
    auto start = std::chrono::steady_clock::now();
    sweep();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, static_cast<double>(n * sizeof(float)) / s);
  }
  stream_buffer.release();
  return best;
}

size_t ops_scratch_bytes() { return stream_buffer.capacity(); }
void release_ops_scratch() { stream_buffer.release(); }

}  // namespace nibble
