// The per-ISA kernel table. kernels.inc is compiled three times (AVX-512, AVX2+FMA, baseline SSE2) with GCC vector
// extensions, and dispatch.cc picks one table at load time with __builtin_cpu_supports, so one build of the addon
// runs on any x86-64 CPU (and on non-x86 CPUs with the baseline build).
#pragma once
#include <cstddef>
#include <cstdint>

namespace nibble {

// ReluGrad(x, g) = g·w(x): w = 1 for x > 0, ½ for x = 0, 0 below and for NaN (the gradient of maximum(x, 0)).
enum class BinaryOp : int { Add = 0, Sub, Mul, Div, Max, Min, ReluGrad };
enum class UnaryOp : int { Neg = 0, Abs, Exp, Log, Tanh, Sigmoid, Relu, Sqrt, Square };

struct KernelTable {
  const char* isa;
  int vector_floats;  // floats per SIMD register
  // sgemm micro-kernel: C[MR×NR] (+)= Apanel[kc×MR]ᵀ·Bpanel[kc×NR]; panels are packed and 64-byte aligned.
  int mr, nr;
  void (*gemm_micro)(long kc, const float* a, const float* b, float* c, long ldc, int accumulate);
  // The same with fewer rows (mr_short < mr), for row counts that mr divides badly (32, 64, 128 with mr = 14).
  int mr_short;
  void (*gemm_micro_short)(long kc, const float* a, const float* b, float* c, long ldc, int accumulate);
  // c[i, 0:n] (+)= Σ_k a[i, k]·b[k, 0:n] for i < m ≤ 4: row-major B, read once (small-M path).
  void (*gemm_small_m_rowmajor_b)(long m, long n, long k, const float* a, long lda, const float* b, long ldb,
                                  float* c, long ldc, int accumulate);
  // c[i, j] (+)= dot(a[i, :], bt[j, :]) for i < m ≤ 4 (B given transposed, rows contiguous).
  void (*gemm_small_m_transposed_b)(long m, long n, long k, const float* a, long lda, const float* bt, long ldbt,
                                    float* c, long ldc, int accumulate);
  // Microbenchmarks: FMA throughput loop (returns flops done) and a read-only streaming sum.
  double (*fma_loop)(long iterations);
  float (*read_sum)(const float* data, size_t n);
  // Elementwise with broadcasting over the last axis: stride 1 (contiguous) or 0 (repeated scalar).
  void (*binary)(BinaryOp op, long n, const float* a, long sa, const float* b, long sb, float* out);
  void (*unary)(UnaryOp op, long n, const float* x, float* out);
  float (*reduce_sum)(const float* x, long n);
  float (*reduce_max)(const float* x, long n);
  // out[j] = Σ_r x[r·ldx + j] for j < w, each sum in double precision in row order (bit-exact with a scalar loop).
  void (*column_sums)(long rows, long w, const float* x, long ldx, float* out);
  // q = clamp(rne(x/s) + z, qmin, qmax); out = (q − z)·s.
  void (*fake_quant)(long n, const float* x, float s, float z, float qmin, float qmax, float* out);
  // Packed-weight dot products for one weight row against m ≤ 4 activation rows (see packed_matmul.cc).
  void (*int8_rows)(long rows, long k, const int8_t* w, long ldw, const float* scale, const float* zero,
                    long group, long groups_per_row, const float* x, long ldx, long m, float* y, long ldy);
  void (*int4_rows)(long rows, long k, const uint8_t* w, long ldw, int is_signed, const float* scale,
                    const float* zero, long group, long groups_per_row, const float* x, long ldx, long m, float* y,
                    long ldy);
  // LSTM gate math over one [B, 4H] pre-activation block (gate order i, f, g, o).
  void (*lstm_gates)(long batch, long hidden, const float* z, long ldz, const float* bias, const float* c_prev,
                     float* c, float* h, float* gates_out, long ldg);
  // Its backward for one row of one step (see kernels.inc); c_prev may be null (zero initial state).
  void (*lstm_gate_grads)(long hidden, const float* gates, const float* c, const float* c_prev, const float* gy_h,
                          const float* gy_c, const float* dh_next, float* dc_next, float* dz);
  // softmax of one contiguous row of n floats (normalization.cc threads these over rows).
  void (*softmax_row)(long n, const float* x, float* y);
  // Its backward: gx = y·(g − Σ g·y) over one row, from the output y and its gradient g.
  void (*softmax_grad_row)(long n, const float* y, const float* g, float* gx);
  // Layer normalization of one row of d floats, and its backward (which adds into the double column accumulators).
  void (*layer_norm_row)(long d, const float* x, const float* gamma, const float* beta, float eps, float* y);
  void (*layer_norm_grad_row)(long d, const float* x, const float* gamma, const float* gy, float eps, float* gx,
                              double* acc_gamma, double* acc_beta);
  // y[0:n] += x[0:k]·B for B packed in 64-column panels ([panel][k][64], each contiguous, the last zero-padded).
  void (*gemv_panels64)(long k, long n, const float* x, const float* packed, float* y);
  // Small products without packing: C[m×n] (+)= A·B, A at any strides, B row-major (rows ldb apart). A non-null
  // bias [n] is added to every row as it is stored (without accumulate: C = A·B + bias, each output rounded as a
  // product followed by an add would round it).
  void (*gemm_direct)(long m, long n, long k, const float* a, long a_row, long a_col, const float* b, long ldb,
                      float* c, long ldc, int accumulate, const float* bias);
  int direct_rows;  // gemm_direct's row block: callers splitting rows over threads use multiples of it
  // dst[p·ldd + j] = src[j·lds + p] for p < rows, j < cols: a transposed copy (src's rows become dst's columns).
  void (*transpose_copy)(long rows, long cols, const float* src, long lds, float* dst, long ldd);
};

const KernelTable& kernels_avx512();
const KernelTable& kernels_avx2();
const KernelTable& kernels_baseline();

/** The best table for this CPU (or the one forced by NIBBLE_NATIVE_ISA=avx512|avx2|baseline). */
const KernelTable& active_kernels();
/** Overrides the active table; returns false when the CPU lacks the ISA. */
bool set_active_isa(const char* isa);
bool cpu_supports_isa(const char* isa);

}  // namespace nibble
