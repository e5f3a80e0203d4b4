// sum and max over one contiguous block of axes of a dense float32 tensor, seen as [outer, reduced, inner]. Every
// output accumulates its inputs in index order, sums in double precision: exactly what the TypeScript kernels do,
// so both backends agree bit for bit. Speed comes from running many outputs at once, never from reordering a sum;
// the one exception is a single output (the sum of a whole tensor), which both backends sum over 8 lanes.
#include <cmath>
#include <vector>

#include "kernels.h"
#include "ops.h"
#include "thread_pool.h"

namespace nibble {

namespace {

constexpr long kGrain = 1 << 15;  // elements per task below which a thread costs more than it saves

// Runs f(b, e) over [0, n) in contiguous chunks, on the pool when the work (n·cost) is large.
template <class F>
void chunks(long n, long cost, F&& f) {
  ThreadPool& pool = ThreadPool::instance();
  const long tasks = std::min<long>(pool.threads() * 4L, std::max<long>(1, n * cost / kGrain));
  if (pool.threads() == 1 || tasks <= 1 || n < 2) return f(0L, n);
  pool.parallel_for(tasks, [&](long t, int) {
    const long b = n * t / tasks, e = n * (t + 1) / tasks;
    if (e > b) f(b, e);
  });
}

// The TypeScript rule: a NaN (input or accumulated) wins; otherwise only a strictly larger value replaces.
inline double max_step(double acc, double v) {
  if (v > acc || v != v) return (v != v || acc != acc) ? NAN : v;
  return acc;
}

// Sums of `rows` rows of `len` contiguous floats, four rows interleaved so four dependency chains run at once.
void row_sums(const float* x, long rows, long len, float* out) {
  long r = 0;
  for (; r + 4 <= rows; r += 4) {
    const float* a = x + r * len;
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (long j = 0; j < len; ++j) {
      s0 += a[j];
      s1 += a[len + j];
      s2 += a[2 * len + j];
      s3 += a[3 * len + j];
    }
    out[r] = static_cast<float>(s0);
    out[r + 1] = static_cast<float>(s1);
    out[r + 2] = static_cast<float>(s2);
    out[r + 3] = static_cast<float>(s3);
  }
  for (; r < rows; ++r) {
    double s = 0;
    for (long j = 0; j < len; ++j) s += x[r * len + j];
    out[r] = static_cast<float>(s);
  }
}

// A maximum does not depend on the order of its inputs, except through NaN and the sign of zero: the vector kernel
// finds the value, then a NaN becomes the canonical NaN and a zero maximum is the first ±0 of the row, as in
// max_step.
void row_maxes(const float* x, long rows, long len, float* out) {
  const KernelTable& kt = active_kernels();
  for (long r = 0; r < rows; ++r) {
    const float* row = x + r * len;
    float m = kt.reduce_max(row, len);
    if (m != m) m = NAN;
    else if (m == 0.f)
      for (long j = 0; j < len; ++j)
        if (row[j] == 0.f) {
          m = row[j];
          break;
        }
    out[r] = m;
  }
}

// The sum of all n elements in the TypeScript kernel's order for a single output: element i into double lane
// i mod 8, each lane in index order, lanes combined ((0+1)+(2+3))+((4+5)+(6+7)). Eight independent chains instead of
// one: 131072 elements took 0.14 ms as one chain of dependent adds.
float full_sum(const float* x, long n) {
  double l[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  long i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) l[j] += x[i + j];
  for (int j = 0; i < n; ++i, ++j) l[j] += x[i];
  return static_cast<float>(((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7])));
}

}  // namespace

void reduce_block(int op, long outer, long reduced, long inner, const float* x, float* out) {
  if (outer <= 0 || inner <= 0) return;
  if (op == 0 && outer == 1 && inner == 1) {  // one output: see full_sum
    out[0] = full_sum(x, reduced);
    return;
  }
  if (inner == 1) {  // reduce the last axes: one contiguous run per output
    chunks(outer, reduced, [&](long b, long e) {
      if (op == 0) row_sums(x + b * reduced, e - b, reduced, out + b);
      else row_maxes(x + b * reduced, e - b, reduced, out + b);
    });
    return;
  }
  // reduce leading (or middle) axes: walk the reduced rows in order and update a run of outputs from each
  if (op == 0) {
    const KernelTable& kt = active_kernels();
    chunks(outer * inner, reduced, [&](long b, long e) {
      for (long i = b; i < e;) {
        const long o = i / inner, c0 = i % inner, w = std::min(inner, c0 + (e - i)) - c0;
        kt.column_sums(reduced, w, x + o * reduced * inner + c0, inner, out + o * inner + c0);
        i += w;
      }
    });
    return;
  }
  chunks(outer * inner, reduced, [&](long b, long e) {
    std::vector<double> acc(static_cast<size_t>(std::min(e - b, inner)));
    long i = b;
    while (i < e) {
      const long o = i / inner, c0 = i % inner, c1 = std::min(inner, c0 + (e - i));
      const long w = c1 - c0;
      std::fill(acc.begin(), acc.begin() + w, op == 0 ? 0.0 : -INFINITY);
      for (long r = 0; r < reduced; ++r) {
        const float* row = x + (o * reduced + r) * inner + c0;
        if (op == 0)
          for (long j = 0; j < w; ++j) acc[static_cast<size_t>(j)] += row[j];
        else
          for (long j = 0; j < w; ++j) acc[static_cast<size_t>(j)] = max_step(acc[static_cast<size_t>(j)], row[j]);
      }
      for (long j = 0; j < w; ++j) out[o * inner + c0 + j] = static_cast<float>(acc[static_cast<size_t>(j)]);
      i += w;
    }
  });
}

}  // namespace nibble
