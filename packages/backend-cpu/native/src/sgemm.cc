// Batched strided sgemm driver (BLIS-style): B is packed once per call into NR-wide panels (K×NR, k-major), A is
// packed per MC×KC block into MR-high panels, and the ISA's micro-kernel multiplies panel pairs. Loop order inside
// a tile: KC blocks → B panels → A micro-panels. The MC×KC block of A stays in L2; a KC×NR micro-panel of B is read
// once per A micro-panel, from L1 at short K and from L2 at K blocks of up to 1024 (the micro-kernel keeps its speed).
// Threads split the M×N space into tiles (never K), so no reduction across threads is needed.
#include "sgemm.h"

#include <algorithm>
#include <initializer_list>
#include <array>
#include <cstring>
#include <unistd.h>

#include "aligned_buffer.h"
#include "kernels.h"
#include "thread_pool.h"

namespace nibble {

namespace {

constexpr int kMaxWorkers = 64;
constexpr double kParallelFlops = 4e6;  // below this, waking a thread costs more than it saves
// Small-M products (M ≤ 4) are bound by reading B: from this size on, two cores read it faster than one, and each
// keeps its half in its own L2 across calls (pinned split), which is what an LSTM step at batch 1 needs.
constexpr double kParallelSmallMFloats = 1 << 18;

bool worth_threads(long m, long n, long k) {
  if (ThreadPool::instance().threads() < 2) return false;
  const double mn = static_cast<double>(m) * static_cast<double>(n);
  if (m <= 4 && static_cast<double>(k) * static_cast<double>(n) >= kParallelSmallMFloats) return true;
  return 2.0 * mn * static_cast<double>(k) >= kParallelFlops;
}

std::array<AlignedBuffer, kMaxWorkers> packed_b;
std::array<AlignedBuffer, kMaxWorkers> packed_a;
std::array<AlignedBuffer, kMaxWorkers> gathered_a;
std::array<AlignedBuffer, kMaxWorkers> direct_b;  // row-major copies of a transposed B for gemm_direct

long ceil_div(long a, long b) { return (a + b - 1) / b; }

// Splits `items` into `count` contiguous ranges that differ by at most one item.
struct Split {
  long items, count;
  long begin(long b) const { return items * b / count; }
  long end(long b) const { return items * (b + 1) / count; }
};

// K blocks: equal, at most kMaxKc deep. One block of 1024 measured 4–9% faster than four of 256 at 1024³ (C is read
// and written once instead of four times; the micro-kernel keeps its speed with a 128 KiB B panel streaming from L2).
constexpr long kMaxKc = 1024;
long k_block(long k) { return ceil_div(k, ceil_div(k, kMaxKc)); }

// dst[p·nr + jj] = B(p, j0 + jj) for p < k, zero-padded beyond column n.
void pack_b_panel(const StridedMatrix& b, long k, long n, long j0, int nr, float* dst) {
  const long w = std::min<long>(nr, n - j0);
  if (b.col == 1) {
    for (long p = 0; p < k; ++p) {
      float* d = dst + p * nr;
      std::memcpy(d, b.data + p * b.row + j0, static_cast<size_t>(w) * sizeof(float));
      for (long jj = w; jj < nr; ++jj) d[jj] = 0.f;
    }
    return;
  }
  if (b.row == 1) {  // transposed B: read each column contiguously
    for (long jj = 0; jj < w; ++jj) {
      const float* s = b.data + (j0 + jj) * b.col;
      for (long p = 0; p < k; ++p) dst[p * nr + jj] = s[p];
    }
  } else {
    for (long p = 0; p < k; ++p)
      for (long jj = 0; jj < w; ++jj) dst[p * nr + jj] = b.data[p * b.row + (j0 + jj) * b.col];
  }
  if (w < nr)
    for (long p = 0; p < k; ++p)
      for (long jj = w; jj < nr; ++jj) dst[p * nr + jj] = 0.f;
}

// Packs A rows [i0, i0+mc) × cols [p0, p0+kc) into micro-panels of mr rows: panel r holds d[p·mr + ii].
void pack_a_block(const StridedMatrix& a, long i0, long mc, long p0, long kc, int mr, float* dst) {
  for (long r = 0; r * mr < mc; ++r) {
    float* d = dst + r * mr * kc;
    const long base = i0 + r * mr;
    const long h = std::min<long>(mr, mc - r * mr);
    if (a.col == 1) {
      // 16 columns of every row at a time: the panel's writes then stay within a few cache lines (1.5–2× faster than
      // whole rows at K = 1024)
      for (long pb = 0; pb < kc; pb += 16) {
        const long pe = std::min(kc, pb + 16);
        for (long ii = 0; ii < h; ++ii) {
          const float* s = a.data + (base + ii) * a.row + p0;
          for (long p = pb; p < pe; ++p) d[p * mr + ii] = s[p];
        }
      }
    } else if (a.row == 1) {
      for (long p = 0; p < kc; ++p) {
        const float* s = a.data + (p0 + p) * a.col + base;
        for (long ii = 0; ii < h; ++ii) d[p * mr + ii] = s[ii];
      }
    } else {
      for (long ii = 0; ii < h; ++ii)
        for (long p = 0; p < kc; ++p) d[p * mr + ii] = a.data[(base + ii) * a.row + (p0 + p) * a.col];
    }
    if (h < mr)
      for (long p = 0; p < kc; ++p)
        for (long ii = h; ii < mr; ++ii) d[p * mr + ii] = 0.f;
  }
}

struct Gemm {
  const KernelTable& kt;
  long m, n, k;
  StridedMatrix a, b;
  float* c;
  long ldc;
  bool accumulate;
  const float* bias = nullptr;  // [n] added to every row (only without accumulate)
};

// Rows per micro-panel for a product of m rows: the short kernel when the main one would compute ≥ 1% more rows
// than there are (m = 1024 with mr = 14 computes 1036). The short kernel's lower FMA density costs less than that:
// with m a multiple of 8 it measured 2–7% faster at 256–1024 rows (m = 1024: 215 against 208 GFLOP/s), and equal or
// within noise where the main kernel wastes under 1% (m = 700, 1100, 2048, 3200).
int panel_rows(const KernelTable& kt, long m) {
  const long main_rows = (m + kt.mr - 1) / kt.mr * kt.mr;
  const long short_rows = (m + kt.mr_short - 1) / kt.mr_short * kt.mr_short;
  return static_cast<double>(short_rows) < 0.99 * static_cast<double>(main_rows) ? kt.mr_short : kt.mr;
}

using MicroKernel = void (*)(long kc, const float* a, const float* b, float* c, long ldc, int accumulate);
MicroKernel micro_for(const KernelTable& kt, int mr) { return mr == kt.mr ? kt.gemm_micro : kt.gemm_micro_short; }

// One tile of C: rows [i0, i0+mc), B panels [jp0, jp1). `shared_a` is this tile's rows of A already packed (K block
// pc at shared_a + pc·mpad), or null to pack them here.
void gemm_tile(const Gemm& g, long kb, const float* bpacked, long i0, long mc, long jp0, long jp1, int worker,
               const float* shared_a) {
  const int mr = panel_rows(g.kt, g.m), nr = g.kt.nr;
  const MicroKernel micro = micro_for(g.kt, mr);
  const long mpad = ceil_div(mc, mr) * mr;
  float* own_a = shared_a == nullptr ? packed_a[worker].floats(static_cast<size_t>(mpad * kb)) : nullptr;
  alignas(64) float tmp[32 * 64];
  for (long pc = 0; pc < g.k; pc += kb) {
    const long kc = std::min(kb, g.k - pc);
    const float* apacked = shared_a != nullptr ? shared_a + pc * mpad : own_a;
    if (shared_a == nullptr) pack_a_block(g.a, i0, mc, pc, kc, mr, own_a);
    const int acc = g.accumulate || pc > 0;
    for (long jp = jp0; jp < jp1; ++jp) {
      const float* bp = bpacked + jp * g.k * nr + pc * nr;
      const long j = jp * nr;
      const long w = std::min<long>(nr, g.n - j);
      for (long ir = 0; ir * mr < mc; ++ir) {
        const float* ap = apacked + ir * mr * kc;
        const long i = i0 + ir * mr;
        const long h = std::min<long>(mr, mc - ir * mr);
        float* cp = g.c + i * g.ldc + j;
        if (h == mr && w == nr) {
          micro(kc, ap, bp, cp, g.ldc, acc);
        } else {
          micro(kc, ap, bp, tmp, nr, 0);
          for (long ii = 0; ii < h; ++ii)
            for (long jj = 0; jj < w; ++jj)
              cp[ii * g.ldc + jj] = acc ? cp[ii * g.ldc + jj] + tmp[ii * nr + jj] : tmp[ii * nr + jj];
        }
      }
    }
  }
}

// Packs all of B into NR-wide panels (panel p at dst + p·k·nr).
void pack_b_all(const StridedMatrix& b, long k, long n, int nr, float* dst, bool use_pool, int worker) {
  ThreadPool& pool = ThreadPool::instance();
  const long panels = ceil_div(n, nr);
  const int threads = use_pool ? pool.threads() : 1;
  const long pack_tasks = std::min<long>(panels, threads * 4L);
  auto pack = [&](long t, int) {
    const long p0 = panels * t / pack_tasks, p1 = panels * (t + 1) / pack_tasks;
    for (long p = p0; p < p1; ++p) pack_b_panel(b, k, n, p * nr, nr, dst + p * k * nr);
  };
  if (use_pool) pool.parallel_for(pack_tasks, pack);
  else
    for (long t = 0; t < pack_tasks; ++t) pack(t, worker);
}

// `prepacked` is B already packed by pack_b_all (reused across calls), or null to pack it here.
void gemm_packed(const Gemm& g, bool use_pool, int worker, const float* prepacked = nullptr) {
  ThreadPool& pool = ThreadPool::instance();
  const int mr = panel_rows(g.kt, g.m), nr = g.kt.nr;
  const long panels = ceil_div(g.n, nr);
  const int threads = use_pool ? pool.threads() : 1;
  const float* bpacked = prepacked;
  if (bpacked == nullptr) {
    float* dst = packed_b[worker].floats(static_cast<size_t>(panels * nr * g.k));
    pack_b_all(g.b, g.k, g.n, nr, dst, use_pool, worker);
    bpacked = dst;
  }

  const long kb = k_block(g.k);
  const long row_panels = ceil_div(g.m, mr);
  // A blocks of about 340 KiB at K blocks over 512 (6 panels of 14 rows), else 12 panels (16 of the short kernel's 8).
  const long panels_per_block = mr >= 12 ? (kb > 512 ? 6 : 12) : 16;
  // Narrow products (one or two B panels, e.g. a weight gradient with 32 outputs) split their rows finer so that
  // every thread gets a tile.
  const long mblocks = std::min(row_panels, std::max(ceil_div(row_panels, panels_per_block),
                                                     threads > 1 ? ceil_div(2L * threads, panels) : 1L));
  long nblocks = 1;
  while (threads > 1 && mblocks * nblocks < 4L * threads && ceil_div(panels, nblocks) > 2) nblocks *= 2;
  // Blocks are equal to within one panel, so a tile count that is a multiple of the thread count keeps every thread
  // equally busy (13 tiles on 2 threads left one idle for a twelfth of the product).
  while (threads > 1 && (mblocks * nblocks) % threads != 0 && nblocks < panels && nblocks < 4L * threads) ++nblocks;
  const Split rows{row_panels, mblocks}, cols{panels, nblocks};
  // Row blocks split into several column tiles: pack all of A once (every block, every K block, in parallel) instead
  // of once per tile, which for mid-size products (1024×128·128×128) repacked A up to 4 times. Block b's panels sit
  // at shared_a + begin(b)·mr·k, K block pc of it at + pc·(its padded rows).
  const float* shared_a = nullptr;
  if (nblocks > 1) {
    const long kblocks = ceil_div(g.k, kb);
    float* dst = gathered_a[worker].floats(static_cast<size_t>(row_panels * mr * g.k));
    auto pack = [&](long t, int) {
      const long b = t / kblocks, pc = (t % kblocks) * kb;
      const long i0 = rows.begin(b) * mr, mc = std::min(rows.end(b) * mr, g.m) - i0;
      const long mpad = (rows.end(b) - rows.begin(b)) * mr;
      pack_a_block(g.a, i0, mc, pc, std::min(kb, g.k - pc), mr, dst + i0 * g.k + pc * mpad);
    };
    if (use_pool && mblocks * kblocks > 1) pool.parallel_for(mblocks * kblocks, pack);
    else
      for (long t = 0; t < mblocks * kblocks; ++t) pack(t, worker);
    shared_a = dst;
  }
  auto tile = [&](long t, int w) {
    const long tm = t % mblocks, tn = t / mblocks;
    const long i0 = rows.begin(tm) * mr, mc = std::min(rows.end(tm) * mr, g.m) - i0;
    gemm_tile(g, kb, bpacked, i0, mc, cols.begin(tn), cols.end(tn), use_pool ? w : worker,
              shared_a == nullptr ? nullptr : shared_a + i0 * g.k);
  };
  if (use_pool) pool.parallel_for(mblocks * nblocks, tile);
  else
    for (long t = 0; t < mblocks * nblocks; ++t) tile(t, worker);
}

// Column ranges of a product with M ≤ 4: one range per pool thread (multiples of 64 columns, at least 256 wide),
// always run on the same thread (pinned), so a weight that is multiplied again and again (every step of a
// recurrence) stays in each core's own L2 instead of moving between cores.
struct SmallMSplit {
  long n, tasks;
  SmallMSplit(long m, long n_, long k, bool use_pool) : n(n_) {
    const long threads = use_pool && worth_threads(m, n, k) ? ThreadPool::instance().threads() : 1;
    tasks = std::max<long>(1, std::min<long>(threads, ceil_div(n, 256)));
  }
  long begin(long t) const { return std::min(n, ceil_div(n * t / tasks, 64) * 64); }
  long end(long t) const { return t + 1 == tasks ? n : std::min(n, ceil_div(n * (t + 1) / tasks, 64) * 64); }
  /** Runs fn(t, worker) for every range: pinned when there is one range per thread. */
  template <class F>
  void run(F&& fn, int worker) const {
    ThreadPool& pool = ThreadPool::instance();
    if (tasks > 1 && tasks == pool.threads()) pool.parallel_pinned(fn);
    else if (tasks > 1) pool.parallel_for(tasks, fn);
    else fn(0, worker);
  }
};

// M ≤ 4: B is streamed once without packing (matrix-vector-like products, LSTM steps at batch 1).
void gemm_small_m(const Gemm& g, bool use_pool, int worker) {
  const float* a = g.a.data;
  long lda = g.a.row;
  if (g.a.col != 1) {
    float* ga = gathered_a[worker].floats(static_cast<size_t>(g.m * g.k));
    for (long i = 0; i < g.m; ++i)
      for (long p = 0; p < g.k; ++p) ga[i * g.k + p] = g.a.data[i * g.a.row + p * g.a.col];
    a = ga;
    lda = g.k;
  }
  const SmallMSplit split(g.m, g.n, g.k, use_pool);
  split.run(
      [&](long t, int) {
        const long j0 = split.begin(t), j1 = split.end(t);
        if (j1 <= j0) return;
        if (g.b.col == 1)
          g.kt.gemm_small_m_rowmajor_b(g.m, j1 - j0, g.k, a, lda, g.b.data + j0, g.b.row, g.c + j0, g.ldc, g.accumulate);
        else
          g.kt.gemm_small_m_transposed_b(g.m, j1 - j0, g.k, a, lda, g.b.data + j0 * g.b.col, g.b.col, g.c + j0, g.ldc,
                                         g.accumulate);
      },
      worker);
}

// Small single-threaded products (the per-head products of attention, 64×64·64×32) skip packing: packing A and B
// costs about as much as the product. B is read in place when its rows are contiguous, else transposed into a
// small row-major copy first (q·kᵀ).
constexpr long kDirectMaxK = 128, kDirectMaxN = 256, kDirectMaxWork = 1L << 19;  // m·n·k
bool direct_fits(const Gemm& g) {
  // below one vector of columns the direct kernel would fall back to scalar dot products
  return g.k <= kDirectMaxK && g.n <= kDirectMaxN && g.n >= g.kt.vector_floats && g.m * g.n * g.k <= kDirectMaxWork;
}

// B with contiguous rows: B itself, or a row-major copy in the worker's scratch.
const float* rowmajor_b(const Gemm& g, int worker, long* ldb) {
  *ldb = g.b.row;
  if (g.b.col == 1) return g.b.data;
  float* copy = direct_b[worker].floats(static_cast<size_t>(g.k * g.n));
  copy_rowmajor(g.b, g.k, g.n, copy);
  *ldb = g.n;
  return copy;
}

void gemm_direct(const Gemm& g, int worker) {
  long ldb;
  const float* b = rowmajor_b(g, worker, &ldb);
  g.kt.gemm_direct(g.m, g.n, g.k, g.a.data, g.a.row, g.a.col, b, ldb, g.c, g.ldc, g.accumulate, g.bias);
}

// Mid-size products whose B fits in half a core's L2 (the projections of a transformer block, 1024×128·128×512, and
// its weight gradients, 128×1024·1024×128) skip packing as well, with blocks of kDirectRows rows split over the pool:
// on Zen 5 (1 MiB L2) this measured 1.2–1.9× faster than packing both operands (97–100% of the FMA peak at K =
// 128..1024), while products with a larger B stay packed (1024³: packing is faster). Each group of rows reads all of
// B, so B must stay in L2: on Zen 3 (512 KiB) the 128×1024ᵀ·1024×128 gradient, whose B is 512 KiB, ran at 60–90
// GFLOP/s direct and 90–145 packed on 2 threads.
constexpr long kDirectThreadedMaxK = 2048, kDirectThreadedMaxN = 512, kDirectRows = 64;
// A task's rows: the multiple of the kernel's row block nearest kDirectRows (66 for blocks of 6), so that only the
// product's last task ends in a short block (64-row tasks of 6-row blocks each ended in a 4-row block; on Zen 3 7%
// of the LSTM h128 step ran in direct_block<4>, partly from these tasks, partly from the per-thread batch rows of
// lstm.cc's step products, 16 = 6 + 6 + 4). No speed change was measurable on that noisy host.
long direct_task_rows(const KernelTable& kt) {
  const long block = kt.direct_rows;
  return block * ((kDirectRows + block / 2) / block);
}
long direct_threaded_max_b() {
  static const long floats = [] {
    long l2 = 0;
#ifdef _SC_LEVEL2_CACHE_SIZE
    l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
#endif
    return l2 > 0 ? l2 / 2 / static_cast<long>(sizeof(float)) : 1L << 17;  // unknown: as for a 1 MiB L2
  }();
  return floats;
}
bool direct_threaded_fits(const Gemm& g) {
  return g.k <= kDirectThreadedMaxK && g.n <= kDirectThreadedMaxN && g.k * g.n <= direct_threaded_max_b() &&
         g.n >= g.kt.vector_floats && g.m >= 2 * kDirectRows;
}

void gemm_direct_threaded(const Gemm& g, int worker) {
  long ldb;
  const float* b = rowmajor_b(g, worker, &ldb);
  const long task_rows = direct_task_rows(g.kt), tasks = ceil_div(g.m, task_rows);
  ThreadPool::instance().parallel_for(tasks, [&](long t, int) {
    const long i0 = t * task_rows, rows = std::min(task_rows, g.m - i0);
    g.kt.gemm_direct(rows, g.n, g.k, g.a.data + i0 * g.a.row, g.a.row, g.a.col, b, ldb, g.c + i0 * g.ldc, g.ldc,
                     g.accumulate, g.bias);
  });
}

// C's rows set to the bias, or to zero (K = 0).
void fill_rows(const Gemm& g) {
  for (long i = 0; i < g.m; ++i) {
    float* row = g.c + i * g.ldc;
    if (g.bias != nullptr) std::memcpy(row, g.bias, static_cast<size_t>(g.n) * sizeof(float));
    else std::memset(row, 0, static_cast<size_t>(g.n) * sizeof(float));
  }
}

// The bias added to C's rows after the product: each output rounds as matmul followed by add rounds it.
void add_bias_rows(const Gemm& g, bool use_pool) {
  const KernelTable& kt = g.kt;
  auto rows = [&](long i0, long i1) {
    for (long i = i0; i < i1; ++i) kt.binary(BinaryOp::Add, g.n, g.c + i * g.ldc, 1, g.bias, 1, g.c + i * g.ldc);
  };
  const long tasks = use_pool ? std::min<long>(ThreadPool::instance().threads(), g.m * g.n / (1L << 15) + 1) : 1;
  if (tasks <= 1) return rows(0, g.m);
  ThreadPool::instance().parallel_for(tasks, [&](long t, int) { rows(g.m * t / tasks, g.m * (t + 1) / tasks); });
}

void gemm_one(const Gemm& g, bool use_pool, int worker) {
  if (g.k == 0) {
    if (!g.accumulate) fill_rows(g);
    return;
  }
  const bool small_m = g.m <= 4 && (g.b.col == 1 || g.b.row == 1);
  if (!small_m) {  // the unpacked kernels add the bias as they store each row
    if (!use_pool && direct_fits(g)) return gemm_direct(g, worker);
    if (direct_threaded_fits(g)) return use_pool ? gemm_direct_threaded(g, worker) : gemm_direct(g, worker);
  }
  // these accumulate into C over K (in chunks of rows, or K blocks): the bias comes after
  if (small_m) gemm_small_m(g, use_pool, worker);
  else gemm_packed(g, use_pool, worker);
  if (g.bias != nullptr) add_bias_rows(g, use_pool);
}

}  // namespace

long GemmBatch::count() const {
  long total = 1;
  for (int i = 0; i < rank; ++i) total *= dims[i];
  return total;
}

void sgemm_batched(const GemmBatch& batch, long m, long n, long k, StridedMatrix a, StridedMatrix b, float* c, long ldc,
                   long ldcb, bool accumulate, const float* bias) {
  const long count = batch.count();
  if (count <= 0 || m <= 0 || n <= 0) return;
  const KernelTable& kt = active_kernels();
  ThreadPool& pool = ThreadPool::instance();
  const double flops_each = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  auto make = [&](long bi) {
    long ao = 0, bo = 0;
    for (long rest = bi, i = batch.rank - 1; i >= 0; --i) {
      const long idx = rest % batch.dims[i];
      rest /= batch.dims[i];
      ao += idx * batch.a[i];
      bo += idx * batch.b[i];
    }
    return Gemm{kt,
                m,
                n,
                k,
                StridedMatrix{a.data + ao, a.row, a.col, 0},
                StridedMatrix{b.data + bo, b.row, b.col, 0},
                c + bi * ldcb,
                ldc,
                accumulate,
                bias};
  };
  // Many small products: one product per task, each single-threaded (splitting one would cost more than it saves).
  const bool batch_parallel = count >= 2 && pool.threads() > 1 && flops_each < 8 * kParallelFlops &&
                              flops_each * static_cast<double>(count) >= kParallelFlops;
  if (batch_parallel) {
    pool.parallel_for(count, [&](long bi, int w) { gemm_one(make(bi), false, w); });
    return;
  }
  const bool use_pool = worth_threads(m, n, k);
  for (long bi = 0; bi < count; ++bi) gemm_one(make(bi), use_pool, 0);
}

void copy_rowmajor(StridedMatrix b, long k, long n, float* dst) {
  if (b.row == 1 && b.col != 1) {
    // Stored transposed, copied in tiles: row by row, the reads strode 4·col bytes (2 KiB for a 512×128 weight)
    // and the copy took 0.14 ms instead of 0.02.
    active_kernels().transpose_copy(k, n, b.data, b.col, dst, n);
    return;
  }
  for (long p = 0; p < k; ++p)
    for (long j = 0; j < n; ++j) dst[p * n + j] = b.data[p * b.row + j * b.col];
}

bool direct_columns_fit(long m, long n, long k) {
  const KernelTable& kt = active_kernels();
  const long threads = ThreadPool::instance().threads();
  return k <= kDirectThreadedMaxK && n >= 2L * kt.vector_floats * threads && k * n <= direct_threaded_max_b() * threads &&
         m >= 8 && 2.0 * static_cast<double>(m) * n * k >= kParallelFlops / 4;
}

void sgemm_direct_columns(long m, long n, long k, StridedMatrix a, const float* b, long ldb, float* c, long ldc,
                          bool accumulate) {
  const KernelTable& kt = active_kernels();
  ThreadPool& pool = ThreadPool::instance();
  const long strip = 2L * kt.vector_floats;  // the kernel's column strip
  const long tasks = std::max<long>(1, std::min<long>(pool.threads(), ceil_div(n, strip)));
  const long per = ceil_div(ceil_div(n, tasks), strip) * strip;
  auto run = [&](long t, int) {
    const long j0 = t * per, j1 = std::min(n, j0 + per);
    if (j1 > j0) kt.gemm_direct(m, j1 - j0, k, a.data, a.row, a.col, b + j0, ldb, c + j0, ldc, accumulate, nullptr);
  };
  if (tasks > 1 && tasks == pool.threads()) pool.parallel_pinned(run);  // the same columns (and L2) every call
  else if (tasks > 1) pool.parallel_for(tasks, run);
  else run(0, 0);
}

void sgemm(long batch, long m, long n, long k, StridedMatrix a, StridedMatrix b, float* c, long ldc, long ldcb,
           bool accumulate) {
  GemmBatch one;
  one.rank = 1;
  one.dims[0] = batch;
  one.a[0] = a.batch;
  one.b[0] = b.batch;
  sgemm_batched(one, m, n, k, a, b, c, ldc, ldcb, accumulate);
}

size_t packed_b_floats(long k, long n) {
  const long nr = active_kernels().nr;
  return static_cast<size_t>(ceil_div(n, nr) * nr * k);
}

void pack_b(StridedMatrix b, long k, long n, float* dst) {
  ThreadPool& pool = ThreadPool::instance();
  const double bytes = 4.0 * static_cast<double>(k) * static_cast<double>(n);
  pack_b_all(b, k, n, active_kernels().nr, dst, pool.threads() > 1 && bytes >= 1e6, 0);
}

void sgemm_prepacked(long m, long n, long k, StridedMatrix a, StridedMatrix b, const float* b_packed, float* c,
                     long ldc, bool accumulate) {
  if (m <= 0 || n <= 0) return;
  const Gemm g{active_kernels(), m, n, k, a, b, c, ldc, accumulate};
  const bool use_pool = worth_threads(m, n, k);
  if (k == 0 || (m <= 4 && (b.col == 1 || b.row == 1))) return gemm_one(g, use_pool, 0);
  gemm_packed(g, use_pool, 0, b_packed);
}

size_t gemm_scratch_bytes() {
  size_t total = 0;
  for (auto* set : {&packed_a, &packed_b, &gathered_a, &direct_b})
    for (auto& buf : *set) total += buf.capacity();
  return total;
}

void release_gemm_scratch() {
  for (auto* set : {&packed_a, &packed_b, &gathered_a, &direct_b})
    for (auto& buf : *set) buf.release();
}

}  // namespace nibble
