// Strided float32 copies: a view made dense (copy), or a dense block written into a larger output (pad).
#include <cstring>
#include <vector>

#include "ops.h"
#include "thread_pool.h"

namespace nibble {

void copy_strided(int rank, const long* shape, const float* src, const long* src_strides, float* dst,
                  const long* dst_strides) {
  if (rank == 0) {
    dst[0] = src[0];
    return;
  }
  long outer = 1;
  for (int d = 0; d < rank - 1; ++d) outer *= shape[d];
  const long inner = shape[rank - 1];
  if (outer == 0 || inner == 0) return;
  const long ss = src_strides[rank - 1], ds = dst_strides[rank - 1];
  auto rows = [&](long r0, long r1) {
    std::vector<long> idx(static_cast<size_t>(rank), 0);
    long so = 0, dof = 0, rem = r0;
    for (int d = rank - 2; d >= 0; --d) {
      idx[static_cast<size_t>(d)] = rem % shape[d];
      rem /= shape[d];
      so += idx[static_cast<size_t>(d)] * src_strides[d];
      dof += idx[static_cast<size_t>(d)] * dst_strides[d];
    }
    for (long r = r0; r < r1; ++r) {
      const float* s = src + so;
      float* o = dst + dof;
      if (ss == 1 && ds == 1) std::memcpy(o, s, static_cast<size_t>(inner) * sizeof(float));
      else
        for (long j = 0; j < inner; ++j) o[j * ds] = s[j * ss];
      for (int d = rank - 2; d >= 0; --d) {  // odometer step over the outer dims
        auto& i = idx[static_cast<size_t>(d)];
        ++i;
        so += src_strides[d];
        dof += dst_strides[d];
        if (i < shape[d]) break;
        so -= i * src_strides[d];
        dof -= i * dst_strides[d];
        i = 0;
      }
    }
  };
  ThreadPool& pool = ThreadPool::instance();
  const long total = outer * inner;
  const long tasks = std::min<long>(pool.threads() * 4L, total / (1 << 16));
  if (pool.threads() == 1 || tasks <= 1) return rows(0, outer);
  pool.parallel_for(tasks, [&](long t, int) {
    const long b = outer * t / tasks, e = outer * (t + 1) / tasks;
    if (e > b) rows(b, e);
  });
}

}  // namespace nibble
