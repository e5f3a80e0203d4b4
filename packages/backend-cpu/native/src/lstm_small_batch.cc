#include "lstm_small_batch.h"

#include <algorithm>
#include <cstring>

#include "kernels.h"
#include "thread_pool.h"

namespace nibble {

namespace {
constexpr long kUnitAlign = 16;               // a full vector of units per range
constexpr double kPoolMinWeights = 1 << 18;   // Wh floats below which one thread is faster than waking another
constexpr long kMaxBatch = 4;
constexpr long kPad = 64;                     // floats between threads' scratch (no shared cache lines)
}  // namespace

bool LstmSmallBatch::applies(long batch, long hidden) { return batch >= 1 && batch <= kMaxBatch && hidden >= 1; }

long LstmSmallBatch::begin(long t) const {
  if (t >= tasks_) return hidden_;
  return std::min(hidden_, (hidden_ * t / tasks_ + kUnitAlign - 1) / kUnitAlign * kUnitAlign);
}

void LstmSmallBatch::pack(const float* wh, long hidden, long batch, long key) {
  ThreadPool& pool = ThreadPool::instance();
  const long G = 4 * hidden;
  const bool pooled = pool.threads() > 1 && 4.0 * static_cast<double>(hidden) * static_cast<double>(hidden) >= kPoolMinWeights;
  const long tasks = pooled ? pool.threads() : 1;
  // Repeated inference with the same weights: packing H·4H floats costs 0.1 ms at H = 512 and 1.4 ms at H = 1024
  // (a read and a write of 16 MiB), 3–7% of the whole sequence.
  if (key != 0 && key == key_ && hidden == hidden_ && tasks == tasks_ && panels_ == (batch == 1)) return;
  key_ = 0;  // set again only once the block below is complete
  hidden_ = hidden;
  tasks_ = tasks;
  float* dst = packed_.floats(static_cast<size_t>(hidden * (G + 64)));
  local_.floats(static_cast<size_t>(kMaxBatch * G + tasks_ * kPad));
  // Block of thread t: its columns are Wh[:, q·H + u] for the gates q = 0..3 and its units u, in that order. At
  // batch 1 they are cut into 64-column panels stored one after another ([panel][row][64]); otherwise rows are
  // contiguous (row p holds the 4·units columns of Wh row p).
  panels_ = batch == 1;
  auto pack_block = [&](long t, int) {
    const long u0 = begin(t), nu = begin(t + 1) - u0;
    float* block = dst + hidden * 4 * u0;
    if (!panels_) {
      for (long p = 0; p < hidden; ++p)
        for (int q = 0; q < 4; ++q)
          std::memcpy(block + (p * 4 + q) * nu, wh + p * G + q * hidden + u0, static_cast<size_t>(nu) * sizeof(float));
      return;
    }
    // 4·units is a multiple of 64 except in the last thread's block, whose last panel is padded with zeros (the
    // buffer has room for it: every earlier block is a whole number of panels)
    const long cols = 4 * nu;
    for (long j = 0; j * 64 < cols; ++j)
      for (long p = 0; p < hidden; ++p) {
        float* row = block + (j * hidden + p) * 64;
        long col = j * 64;
        const long end = std::min(cols, col + 64);
        while (col < end) {  // runs of columns within one gate
          const long q = col / nu, u = col % nu, run = std::min(end, (q + 1) * nu) - col;
          std::memcpy(row + (col - j * 64), wh + p * G + q * hidden + u0 + u, static_cast<size_t>(run) * sizeof(float));
          col += run;
        }
        std::fill(row + (end - j * 64), row + 64, 0.f);
      }
  };
  if (tasks_ > 1) pool.parallel_pinned(pack_block);
  else pack_block(0, 0);
  key_ = key;
}

void LstmSmallBatch::step(long batch, const LstmStepIo& io) const {
  const KernelTable& kt = active_kernels();
  const long H = hidden_, G = 4 * H;
  const float* packed = packed_.data();
  float* local_all = local_.data();
  auto run = [&](long t, int) {
    const long u0 = begin(t), nu = begin(t + 1) - u0;
    if (nu <= 0) return;
    const long ldl = 4 * nu;
    float* local = local_all + kMaxBatch * 4 * u0 + t * kPad;  // [B][4][nu] pre-activations of its units
    for (long b = 0; b < batch; ++b)
      for (int q = 0; q < 4; ++q) {
        float* lq = local + b * ldl + q * nu;
        const float* zq = io.z + b * G + q * H + u0;
        if (io.bias != nullptr)
          for (long j = 0; j < nu; ++j) lq[j] = zq[j] + io.bias[q * H + u0 + j];
        else std::memcpy(lq, zq, static_cast<size_t>(nu) * sizeof(float));
      }
    if (io.h_prev != nullptr && panels_)  // batch 1 (pack() was told)
      kt.gemv_panels64(H, ldl, io.h_prev, packed + H * 4 * u0, local);
    else if (io.h_prev != nullptr)
      kt.gemm_small_m_rowmajor_b(batch, ldl, H, io.h_prev, io.h_prev_stride, packed + H * 4 * u0, ldl, local, ldl, 1);
    for (long b = 0; b < batch; ++b) {
      float* lb = local + b * ldl;
      const float* cp = io.c_prev == nullptr ? nullptr : io.c_prev + b * io.c_prev_stride + u0;
      float* gout = io.gates == nullptr ? nullptr : lb;
      kt.lstm_gates(1, nu, lb, ldl, nullptr, cp, io.c + b * io.out_stride + u0, io.h + b * io.out_stride + u0, gout, ldl);
      if (gout != nullptr)
        for (int q = 0; q < 4; ++q)
          std::memcpy(io.gates + b * io.gates_stride + q * H + u0, lb + q * nu, static_cast<size_t>(nu) * sizeof(float));
    }
  };
  if (tasks_ > 1 && tasks_ == ThreadPool::instance().threads()) ThreadPool::instance().parallel_pinned(run);
  else
    for (long t = 0; t < tasks_; ++t) run(t, 0);
}

}  // namespace nibble
