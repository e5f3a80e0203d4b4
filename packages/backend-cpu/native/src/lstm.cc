// Whole-sequence LSTM (gate order i, f, g, o), time-major. Forward hoists the input projection X·Wx into one big
// sgemm, then per step adds h_{t-1}·Wh in place and runs the fused gate pass. Backward keeps only the gate
// gradients and dZ_t·Whᵀ inside the time loop; dWx, dWh, dX and db are single large products after it.
#include <algorithm>
#include <vector>

#include "aligned_buffer.h"
#include "lstm_small_batch.h"
#include "ops.h"
#include "sgemm.h"
#include "thread_pool.h"

namespace nibble {

namespace {
AlignedBuffer z_scratch, dz_scratch, state_scratch, wh_packed, hprev_scratch;
LstmSmallBatch small_batch;

// The packed panels of the last keyed Wx, for the input projection of prepared weights (see LstmWeights::key).
struct KeyedPanels {
  AlignedBuffer panels;
  long key = 0, rows = 0, cols = 0;
  int nr = 0;  // the micro-kernel's panel width: a change of ISA changes the layout
  void release() {
    panels.release();
    key = 0;
  }
} wx_packed;

// z = x·Wx for all rows at once; keyed weights pack Wx only when it is not the one packed last.
void project_input(const LstmWeights& w, long rows, const float* x, float* z) {
  const long G = 4 * w.hidden, I = w.input;
  const StridedMatrix a{x, I, 1, 0}, b{w.wx, G, 1, 0};
  if (w.key == 0) return sgemm(1, rows, G, I, a, b, z, G, 0, false);
  const int nr = active_kernels().nr;
  if (wx_packed.key != w.key || wx_packed.rows != I || wx_packed.cols != G || wx_packed.nr != nr) {
    wx_packed.key = 0;  // invalid until the panels are complete
    pack_b(b, I, G, wx_packed.panels.floats(packed_b_floats(I, G)));
    wx_packed.key = w.key;
    wx_packed.rows = I;
    wx_packed.cols = G;
    wx_packed.nr = nr;
  }
  sgemm_prepacked(rows, G, I, a, b, wx_packed.panels.data(), z, G, false);
}

// Runs fn(b) for every batch row, on the pool when the step is large enough to pay for the wake-up.
template <class F>
void for_rows(long rows, long work, F&& fn) {
  ThreadPool& pool = ThreadPool::instance();
  if (work >= 32768 && rows > 1 && pool.threads() > 1) pool.parallel_for(rows, [&](long r, int) { fn(r); });
  else
    for (long r = 0; r < rows; ++r) fn(r);
}

// Batch rows never interact in an LSTM: when Wh fits in one core's L2 (H ≤ 256: 1 MiB), each thread runs the whole
// sequence for its own rows, one pool job and no barrier per step. Splitting each step's product by columns instead
// costs two pool jobs per step (the product, then the gates, which need every column of their row). At B = 32 on 2
// threads the forward step took 27–30 µs against 36–38 at H = 128, and 104–131 against 121–201 µs at H = 256; at
// H = 512 (4 MiB) the column split, whose threads each keep half of Wh in their L2, stays faster (376–390 against
// 412–436 µs). The backward time loop is bound by memory either way (its rows lie T·4H floats apart).
#ifndef NIB_LSTM_ROW_SPLIT_MAX_WH_BYTES
#define NIB_LSTM_ROW_SPLIT_MAX_WH_BYTES (1L << 20)
#endif
constexpr long kRowSplitMaxWhBytes = NIB_LSTM_ROW_SPLIT_MAX_WH_BYTES;
// One thread takes this path too (all rows in one task): the products are then gemm_direct's whatever the thread
// count, so the results are the same bit for bit.
bool rows_split_fits(long B, long H) {
  const long threads = ThreadPool::instance().threads();
  return B >= 8 * threads && 16 * H * H <= kRowSplitMaxWhBytes && H >= active_kernels().vector_floats;
}

// Runs fn(b0, b1) for the pool's threads' shares of the batch rows, each thread the same rows every call.
template <class F>
void for_row_shares(long B, F&& fn) {
  ThreadPool& pool = ThreadPool::instance();
  const long tasks = pool.threads();
  pool.parallel_pinned([&](long t, int) { fn(B * t / tasks, B * (t + 1) / tasks); });
}
}  // namespace

void lstm_forward(const LstmWeights& w, long steps, long batch, const float* x, const float* h0, const float* c0,
                  float* hs, float* cs, float* gates) {
  const long H = w.hidden, I = w.input, G = 4 * H, B = batch;
  if (steps <= 0 || B <= 0 || H <= 0) return;
  const KernelTable& kt = active_kernels();
  float* z = gates != nullptr ? gates : z_scratch.floats(static_cast<size_t>(steps * B * G));
  project_input(w, steps * B, x, z);
  if (LstmSmallBatch::applies(B, H) && steps > 1) {
    small_batch.pack(w.wh, H, B, w.key);
    for (long t = 0; t < steps; ++t) {
      const float* hp = t == 0 ? h0 : hs + (t - 1) * B * H;
      const float* cp = t == 0 ? c0 : cs + (t - 1) * B * H;
      float* zt = z + t * B * G;
      small_batch.step(B, LstmStepIo{hp, H, cp, H, zt, w.bias, hs + t * B * H, cs + t * B * H, H, gates != nullptr ? zt : nullptr, G});
    }
    return;
  }
  for (long t = 0; t < steps; ++t) {
    float* zt = z + t * B * G;
    const float* hp = t == 0 ? h0 : hs + (t - 1) * B * H;
    const float* cp = t == 0 ? c0 : cs + (t - 1) * B * H;
    if (hp != nullptr) sgemm(1, B, G, H, StridedMatrix{hp, H, 1, 0}, StridedMatrix{w.wh, G, 1, 0}, zt, G, 0, true);
    float* ct = cs + t * B * H;
    float* ht = hs + t * B * H;
    if (B * H >= 32768 && ThreadPool::instance().threads() > 1) {
      ThreadPool::instance().parallel_for(B, [&](long b, int) {
        kt.lstm_gates(1, H, zt + b * G, G, w.bias, cp == nullptr ? nullptr : cp + b * H, ct + b * H, ht + b * H,
                      gates != nullptr ? zt + b * G : nullptr, G);
      });
    } else {
      kt.lstm_gates(B, H, zt, G, w.bias, cp, ct, ht, gates != nullptr ? zt : nullptr, G);
    }
  }
}

void lstm_backward(const LstmWeights& w, long steps, long batch, const float* x, const float* h0, const float* c0,
                   const float* hs, const float* cs, const float* gates, const float* dhs, const float* dh_last,
                   const float* dc_last, const LstmGrads& g) {
  const long H = w.hidden, I = w.input, G = 4 * H, B = batch;
  if (steps <= 0 || B <= 0 || H <= 0) return;
  const KernelTable& kt = active_kernels();
  float* dz = dz_scratch.floats(static_cast<size_t>(steps * B * G));
  float* state = state_scratch.floats(static_cast<size_t>(3 * B * H));
  float* dh_next = state;
  float* dc_next = state + B * H;
  float* tanh_c = state + 2 * B * H;
  for (long i = 0; i < B * H; ++i) {
    dh_next[i] = dh_last != nullptr ? dh_last[i] : 0.f;
    dc_next[i] = dc_last != nullptr ? dc_last[i] : 0.f;
  }
  for (long t = steps - 1; t >= 0; --t) {
    const float* gt = gates + t * B * G;
    const float* ct = cs + t * B * H;
    const float* cp = t == 0 ? c0 : cs + (t - 1) * B * H;
    const float* dht = dhs != nullptr ? dhs + t * B * H : nullptr;
    float* dzt = dz + t * B * G;
    kt.unary(UnaryOp::Tanh, B * H, ct, tanh_c);
    for (long b = 0; b < B; ++b) {
      const float* gi = gt + b * G;
      const float* gf = gi + H;
      const float* gg = gi + 2 * H;
      const float* go = gi + 3 * H;
      float* zi = dzt + b * G;
      float* zf = zi + H;
      float* zg = zi + 2 * H;
      float* zo = zi + 3 * H;
      const float* tc = tanh_c + b * H;
      float* dhn = dh_next + b * H;
      float* dcn = dc_next + b * H;
      for (long j = 0; j < H; ++j) {
        const float dh = dhn[j] + (dht != nullptr ? dht[b * H + j] : 0.f);
        const float i = gi[j], f = gf[j], gv = gg[j], o = go[j], tcj = tc[j];
        const float cprev = cp != nullptr ? cp[b * H + j] : 0.f;
        const float dc = dcn[j] + dh * o * (1.f - tcj * tcj);
        zi[j] = dc * gv * i * (1.f - i);
        zf[j] = dc * cprev * f * (1.f - f);
        zg[j] = dc * i * (1.f - gv * gv);
        zo[j] = dh * tcj * o * (1.f - o);
        dcn[j] = dc * f;
      }
    }
    // dh_{t-1} = dZ_t · Whᵀ (Whᵀ is read as a transposed operand: row stride 1, column stride 4H)
    sgemm(1, B, H, G, StridedMatrix{dzt, G, 1, 0}, StridedMatrix{w.wh, 1, G, 0}, dh_next, H, 0, false);
  }
  if (g.dh0 != nullptr) std::copy(dh_next, dh_next + B * H, g.dh0);
  if (g.dc0 != nullptr) std::copy(dc_next, dc_next + B * H, g.dc0);
  const long rows = steps * B;
  if (g.dx != nullptr)
    sgemm(1, rows, I, G, StridedMatrix{dz, G, 1, 0}, StridedMatrix{w.wx, 1, G, 0}, g.dx, I, 0, false);
  if (g.dwx != nullptr)
    sgemm(1, I, G, rows, StridedMatrix{x, 1, I, 0}, StridedMatrix{dz, G, 1, 0}, g.dwx, G, 0, true);
  if (g.dwh != nullptr) {
    if (steps > 1)
      sgemm(1, H, G, (steps - 1) * B, StridedMatrix{hs, 1, H, 0}, StridedMatrix{dz + B * G, G, 1, 0}, g.dwh, G, 0,
            true);
    if (h0 != nullptr) sgemm(1, H, G, B, StridedMatrix{h0, 1, H, 0}, StridedMatrix{dz, G, 1, 0}, g.dwh, G, 0, true);
  }
  if (g.db != nullptr)
    for (long r = 0; r < rows; ++r) {
      const float* row = dz + r * G;
      for (long j = 0; j < G; ++j) g.db[j] += row[j];
    }
}

// The lstmSequence capability: batch-major, input projection already done. Y [B, T, 2, H] holds h_t then c_t.
void lstm_projected_forward(long B, long T, long H, const float* xp, long xb, long xt, const float* wh,
                            const float* h0, const float* c0, float* y, float* gates, long wh_key) {
  if (B <= 0 || T <= 0 || H <= 0) return;
  const long G = 4 * H, Y2 = 2 * H;
  const KernelTable& kt = active_kernels();
  float* z = z_scratch.floats(static_cast<size_t>(B * G));
  if (LstmSmallBatch::applies(B, H) && T > 1) {
    small_batch.pack(wh, H, B, wh_key);
    for (long t = 0; t < T; ++t) {
      for (long b = 0; b < B; ++b) std::copy(xp + b * xb + t * xt, xp + b * xb + t * xt + G, z + b * G);
      float* yt = y + t * Y2;  // row b at yt + b·T·Y2
      const float* hp = t == 0 ? h0 : yt - Y2;
      const float* cp = t == 0 ? c0 : yt - Y2 + H;
      const long prev_stride = t == 0 ? H : T * Y2;
      small_batch.step(B, LstmStepIo{hp, prev_stride, cp, prev_stride, z, nullptr, yt, yt + H, T * Y2,
                                     gates == nullptr ? nullptr : gates + t * G, T * G});
    }
    return;
  }
  if (rows_split_fits(B, H)) {
    for_row_shares(B, [&](long b0, long b1) {
      for (long t = 0; t < T; ++t) {
        for (long b = b0; b < b1; ++b) std::copy(xp + b * xb + t * xt, xp + b * xb + t * xt + G, z + b * G);
        const float* hp = t == 0 ? h0 + b0 * H : y + (b0 * T + t - 1) * Y2;
        kt.gemm_direct(b1 - b0, G, H, hp, t == 0 ? H : T * Y2, 1, wh, G, z + b0 * G, G, 1, nullptr);
        for (long b = b0; b < b1; ++b) {
          float* ht = y + (b * T + t) * Y2;
          const float* cp = t == 0 ? c0 + b * H : ht - Y2 + H;
          kt.lstm_gates(1, H, z + b * G, G, nullptr, cp, ht + H, ht, gates == nullptr ? nullptr : gates + (b * T + t) * G, G);
        }
      }
    });
    return;
  }
  // Wh is read in place, each thread on its own columns, when a thread's share fits in its L2; else packed once
  const bool direct = direct_columns_fit(B, G, H);
  float* whp = direct ? nullptr : wh_packed.floats(packed_b_floats(H, G));
  const StridedMatrix whm{wh, G, 1, 0};
  if (!direct) pack_b(whm, H, G, whp);  // once per sequence, reused by all T steps
  for (long t = 0; t < T; ++t) {
    for (long b = 0; b < B; ++b) std::copy(xp + b * xb + t * xt, xp + b * xb + t * xt + G, z + b * G);
    const StridedMatrix hp = t == 0 ? StridedMatrix{h0, H, 1, 0} : StridedMatrix{y + (t - 1) * Y2, T * Y2, 1, 0};
    if (direct) sgemm_direct_columns(B, G, H, hp, wh, G, z, G, true);
    else sgemm_prepacked(B, G, H, hp, whm, whp, z, G, true);
    for_rows(B, 8 * B * H, [&](long b) {  // three sigmoids and two tanh per element: worth a thread sooner
      float* ht = y + (b * T + t) * Y2;
      const float* cp = t == 0 ? c0 + b * H : ht - Y2 + H;
      kt.lstm_gates(1, H, z + b * G, G, nullptr, cp, ht + H, ht, gates == nullptr ? nullptr : gates + (b * T + t) * G, G);
    });
  }
}

namespace {
// The backward time loop with each step's dZ_t·Whᵀ split by columns over the pool (Wh too large for row shares).
void backward_steps_by_columns(long B, long T, long H, const float* wh, const float* c0, const float* y,
                               const float* gy, const float* gates, float* gxp, float* dh_next, float* dc_next) {
  const long G = 4 * H, Y2 = 2 * H;
  const KernelTable& kt = active_kernels();
  // Whᵀ [4H, H]: a row-major copy read in place by the threads' columns when it fits (see the forward), else packed
  const bool direct = direct_columns_fit(B, H, G);
  float* whp = wh_packed.floats(direct ? static_cast<size_t>(G * H) : packed_b_floats(G, H));
  const StridedMatrix wht{wh, 1, G, 0};
  if (direct) copy_rowmajor(wht, G, H, whp);
  else pack_b(wht, G, H, whp);
  for (long t = T - 1; t >= 0; --t) {
    for_rows(B, 8 * B * H, [&](long b) {  // ~25 flops and a tanh per element: worth a thread sooner
      const long r = b * T + t;
      const float* cp = t == 0 ? c0 + b * H : y + (r - 1) * Y2 + H;
      kt.lstm_gate_grads(H, gates + r * G, y + r * Y2 + H, cp, gy + r * Y2, gy + r * Y2 + H, dh_next + b * H,
                         dc_next + b * H, gxp + r * G);
    });
    const StridedMatrix dz{gxp + t * G, T * G, 1, 0};
    if (direct) sgemm_direct_columns(B, H, G, dz, whp, H, dh_next, H, false);
    else sgemm_prepacked(B, H, G, dz, wht, whp, dh_next, H, false);
  }
}
}  // namespace

// Backward of lstm_projected_forward. The gates are recomputed from Y in one large product (h_{t-1} is known for
// every step), then the time loop keeps only the elementwise gate gradients and dZ_t·Whᵀ.
void lstm_projected_backward(long B, long T, long H, const float* xp, long xb, long xt, const float* wh,
                             const float* h0, const float* c0, const float* y, const float* gy,
                             const float* saved_gates, float* gxp, float* gwh, float* gh0, float* gc0) {
  const long G = 4 * H, Y2 = 2 * H, rows = B * T;
  if (H <= 0) return;
  if (B <= 0 || T <= 0) {
    std::fill(gwh, gwh + H * G, 0.f);
    std::fill(gh0, gh0 + B * H, 0.f);
    std::fill(gc0, gc0 + B * H, 0.f);
    return;
  }
  const KernelTable& kt = active_kernels();
  float* hprev = hprev_scratch.floats(static_cast<size_t>(rows * H));
  float* state = state_scratch.floats(static_cast<size_t>(3 * B * H));
  float* recomputed = saved_gates == nullptr ? z_scratch.floats(static_cast<size_t>(rows * G)) : nullptr;
  for_rows(B, rows * H, [&](long b) {
    for (long t = 0; t < T; ++t) {
      const float* src = t == 0 ? h0 + b * H : y + (b * T + t - 1) * Y2;
      std::copy(src, src + H, hprev + (b * T + t) * H);
      if (recomputed != nullptr) std::copy(xp + b * xb + t * xt, xp + b * xb + t * xt + G, recomputed + (b * T + t) * G);
    }
  });
  if (recomputed != nullptr) {  // the forward's gates were not kept: z = xProj + h_{t-1}·Wh for all steps at once
    sgemm(1, rows, G, H, StridedMatrix{hprev, H, 1, 0}, StridedMatrix{wh, G, 1, 0}, recomputed, G, 0, true);
    for_rows(rows, rows * G, [&](long r) {
      float* g = recomputed + r * G;
      kt.unary(UnaryOp::Sigmoid, 2 * H, g, g);
      kt.unary(UnaryOp::Tanh, H, g + 2 * H, g + 2 * H);
      kt.unary(UnaryOp::Sigmoid, H, g + 3 * H, g + 3 * H);
    });
  }
  const float* gates = saved_gates != nullptr ? saved_gates : recomputed;
  float* dh_next = state;
  float* dc_next = state + B * H;
  std::fill(dh_next, dh_next + 2 * B * H, 0.f);
  if (rows_split_fits(B, H)) {  // each thread its own batch rows through all steps (see the forward)
    float* wht_rows = wh_packed.floats(static_cast<size_t>(G * H));
    copy_rowmajor(StridedMatrix{wh, 1, G, 0}, G, H, wht_rows);
    for_row_shares(B, [&](long b0, long b1) {
      for (long t = T - 1; t >= 0; --t) {
        for (long b = b0; b < b1; ++b) {
          const long r = b * T + t;
          const float* cp = t == 0 ? c0 + b * H : y + (r - 1) * Y2 + H;
          kt.lstm_gate_grads(H, gates + r * G, y + r * Y2 + H, cp, gy + r * Y2, gy + r * Y2 + H, dh_next + b * H,
                             dc_next + b * H, gxp + r * G);
        }
        kt.gemm_direct(b1 - b0, H, G, gxp + (b0 * T + t) * G, T * G, 1, wht_rows, H, dh_next + b0 * H, H, 0,
                       nullptr);
      }
    });
  } else {
    backward_steps_by_columns(B, T, H, wh, c0, y, gy, gates, gxp, dh_next, dc_next);
  }
  std::copy(dh_next, dh_next + B * H, gh0);
  std::copy(dc_next, dc_next + B * H, gc0);
  // gWh = Σ_{b,t} h_{t-1}ᵀ dZ_t as one [H, B·T] × [B·T, 4H] product
  sgemm(1, H, G, rows, StridedMatrix{hprev, 1, H, 0}, StridedMatrix{gxp, G, 1, 0}, gwh, G, 0, false);
}

size_t lstm_scratch_bytes() {
  return z_scratch.capacity() + dz_scratch.capacity() + state_scratch.capacity() + wh_packed.capacity() +
         wx_packed.panels.capacity() + hprev_scratch.capacity() + small_batch.scratch_bytes();
}
void release_lstm_scratch() {
  z_scratch.release();
  dz_scratch.release();
  state_scratch.release();
  wh_packed.release();
  wx_packed.release();
  small_batch.release();
  hprev_scratch.release();
}

}  // namespace nibble
