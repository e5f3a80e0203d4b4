// softmax and layer normalization over the last axis of dense blocks: the row kernels are per ISA (kernels.inc),
// rows are split over the pool in fixed chunks.
#include <algorithm>
#include <vector>

#include "kernels.h"
#include "ops.h"
#include "thread_pool.h"

namespace nibble {

namespace {

// Below this many elements per chunk a pool wake-up costs more than it saves.
constexpr long kChunkElements = 1 << 15;
constexpr long kMaxChunks = 16;

// The number of row chunks: a function of the shape only (never of the thread count), so that per-chunk partial
// sums are added in the same order however many threads run them.
long chunks_of(long rows, long width) {
  const long by_size = (rows * std::max<long>(width, 1) + kChunkElements - 1) / kChunkElements;
  return std::max<long>(1, std::min({rows, by_size, kMaxChunks}));
}

// Runs fn(r0, r1) on each chunk of rows, on the pool when there is more than one chunk.
template <class F>
void for_row_chunks(long rows, long chunks, F&& fn) {
  auto run = [&](long c) { fn(rows * c / chunks, rows * (c + 1) / chunks, c); };
  ThreadPool& pool = ThreadPool::instance();
  if (chunks <= 1 || pool.threads() <= 1) {
    for (long c = 0; c < chunks; ++c) run(c);
    return;
  }
  pool.parallel_for(chunks, [&](long c, int) { run(c); });
}

}  // namespace

void softmax_rows(long rows, long n, const float* x, float* y) {
  if (rows <= 0 || n <= 0) return;
  const KernelTable& kt = active_kernels();
  for_row_chunks(rows, chunks_of(rows, n), [&](long r0, long r1, long) {
    for (long r = r0; r < r1; ++r) kt.softmax_row(n, x + r * n, y + r * n);
  });
}

void softmax_grad_rows(long rows, long n, const float* y, const float* g, float* gx) {
  if (rows <= 0 || n <= 0) return;
  const KernelTable& kt = active_kernels();
  for_row_chunks(rows, chunks_of(rows, n), [&](long r0, long r1, long) {
    for (long r = r0; r < r1; ++r) kt.softmax_grad_row(n, y + r * n, g + r * n, gx + r * n);
  });
}

void layer_norm_rows(long rows, long d, const float* x, const float* gamma, const float* beta, float eps, float* y) {
  if (rows <= 0 || d <= 0) return;
  const KernelTable& kt = active_kernels();
  for_row_chunks(rows, chunks_of(rows, d), [&](long r0, long r1, long) {
    for (long r = r0; r < r1; ++r) kt.layer_norm_row(d, x + r * d, gamma, beta, eps, y + r * d);
  });
}

void layer_norm_grad_rows(long rows, long d, const float* x, const float* gamma, const float* gy, float eps, float* gx,
                          float* g_gamma, float* g_beta) {
  if (d <= 0) return;
  if (rows <= 0) {
    std::fill(g_gamma, g_gamma + d, 0.f);
    std::fill(g_beta, g_beta + d, 0.f);
    return;
  }
  const KernelTable& kt = active_kernels();
  const long chunks = chunks_of(rows, d);
  std::vector<double> acc(static_cast<size_t>(chunks * 2 * d), 0.0);  // [chunk][gamma d | beta d]
  for_row_chunks(rows, chunks, [&](long r0, long r1, long c) {
    double* ag = acc.data() + c * 2 * d;
    for (long r = r0; r < r1; ++r) kt.layer_norm_grad_row(d, x + r * d, gamma, gy + r * d, eps, gx + r * d, ag, ag + d);
  });
  for (long j = 0; j < d; ++j) {
    double sg = 0, sb = 0;
    for (long c = 0; c < chunks; ++c) {
      sg += acc[static_cast<size_t>(c * 2 * d + j)];
      sb += acc[static_cast<size_t>(c * 2 * d + d + j)];
    }
    g_gamma[j] = static_cast<float>(sg);
    g_beta[j] = static_cast<float>(sb);
  }
}

}  // namespace nibble
