#pragma once
#include <cstddef>

namespace nibble {

/** A strided float matrix operand: element (b, i, j) is at data[b·batch + i·row + j·col]. */
struct StridedMatrix {
  const float* data;
  long row, col, batch;
};

/**
 * The batch axes of a product: product number `index` is row-major over `dims`, and each operand finds its matrix
 * at Σ index_i·stride_i with its own strides (0 broadcasts). Several axes with unrelated strides (the heads of a
 * permuted attention tensor) run as one call, so the threads split all of the products, not one axis at a time.
 */
struct GemmBatch {
  static constexpr int kMaxRank = 8;
  int rank = 0;
  long dims[kMaxRank] = {};
  long a[kMaxRank] = {};
  long b[kMaxRank] = {};
  long count() const;
};

/**
 * C[b] (+)= A[b]·B[b] for every batch index b, A[b] M×K, B[b] K×N, C row-major with leading dimension ldc and batch
 * stride ldcb. Any strides (transposes, broadcast batch = 0) are absorbed by packing; a.batch and b.batch are unused.
 * A non-null `bias` [n] (only without accumulate) is added to every row: C[b] = A[b]·B[b] + bias.
 */
void sgemm_batched(const GemmBatch& batch, long m, long n, long k, StridedMatrix a, StridedMatrix b, float* c, long ldc,
                   long ldcb, bool accumulate, const float* bias = nullptr);

/** sgemm_batched over one batch axis of `batch` products with strides a.batch and b.batch. */
void sgemm(long batch, long m, long n, long k, StridedMatrix a, StridedMatrix b, float* c, long ldc, long ldcb,
           bool accumulate);

/** Floats needed to hold a K×N matrix B packed into the micro-kernel's panels (see pack_b). */
size_t packed_b_floats(long k, long n);
/** Packs B (K×N) once, for products that reuse it many times (the recurrent weight of every LSTM step). */
void pack_b(StridedMatrix b, long k, long n, float* dst);
/**
 * C (+)= A·B with B packed by pack_b into `b_packed`; `b` is the unpacked B, which the small-M path (M ≤ 4) streams
 * directly instead.
 */
void sgemm_prepacked(long m, long n, long k, StridedMatrix a, StridedMatrix b, const float* b_packed, float* c,
                     long ldc, bool accumulate);

/**
 * C (+)= A·B with B row-major (rows ldb apart) read in place and the columns split over the pool, for products
 * whose rows are few but whose B (one thread's columns of it) fits in a core's L2: the per-step products of an LSTM
 * at batch 32. Use direct_columns_fit() to decide.
 */
void sgemm_direct_columns(long m, long n, long k, StridedMatrix a, const float* b, long ldb, float* c, long ldc,
                          bool accumulate);
/** Copies a K×N matrix at any strides into dst, row-major (for sgemm_direct_columns' B). */
void copy_rowmajor(StridedMatrix b, long k, long n, float* dst);
/** Whether sgemm_direct_columns suits an M×K·K×N product on this pool. */
bool direct_columns_fit(long m, long n, long k);

/** Bytes of scratch the gemm driver holds (packed panels); freed by release_gemm_scratch(). */
size_t gemm_scratch_bytes();
void release_gemm_scratch();

}  // namespace nibble
