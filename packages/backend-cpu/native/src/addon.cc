// N-API bindings. Every kernel reads and writes the memory of the JS TypedArrays it is given (zero copy); the
// addon never hands native memory to JS. TypeScript validates shapes first with readable errors; the checks here
// repeat the bounds checks so that a wrong call from elsewhere throws instead of corrupting memory.
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels.h"
#include "openblas.h"
#include "ops.h"
#include "sgemm.h"
#include "thread_pool.h"

namespace {

using namespace nibble;

template <class T>
struct View {
  T* data;
  size_t length;
  bool present;
};

[[noreturn]] void throw_type(const Napi::Env& env, const std::string& msg) {
  throw Napi::TypeError::New(env, msg);
}
[[noreturn]] void throw_range(const Napi::Env& env, const std::string& msg) {
  throw Napi::RangeError::New(env, msg);
}

template <class T>
View<T> typed(const Napi::CallbackInfo& info, size_t i, napi_typedarray_type want, const char* name, bool optional) {
  const Napi::Env env = info.Env();
  Napi::Value v = info[i];
  if (optional && (v.IsNull() || v.IsUndefined())) return View<T>{nullptr, 0, false};
  if (!v.IsTypedArray()) throw_type(env, std::string("native: argument ") + name + " must be a typed array");
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  if (ta.TypedArrayType() != want) throw_type(env, std::string("native: argument ") + name + " has the wrong dtype");
  Napi::ArrayBuffer buf = ta.ArrayBuffer();
  auto* base = static_cast<uint8_t*>(buf.Data());
  return View<T>{reinterpret_cast<T*>(base + ta.ByteOffset()), ta.ElementLength(), true};
}

View<float> f32(const Napi::CallbackInfo& info, size_t i, const char* name, bool optional = false) {
  return typed<float>(info, i, napi_float32_array, name, optional);
}

long integer(const Napi::CallbackInfo& info, size_t i, const char* name, long min = 0) {
  const Napi::Env env = info.Env();
  if (!info[i].IsNumber()) throw_type(env, std::string("native: argument ") + name + " must be a number");
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!(d >= static_cast<double>(min)) || d > 9007199254740991.0 || d != static_cast<double>(static_cast<long>(d)))
    throw_range(env, std::string("native: argument ") + name + " must be an integer >= " + std::to_string(min));
  return static_cast<long>(d);
}

double number(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsNumber()) throw_type(info.Env(), std::string("native: argument ") + name + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

template <class T>
void need(const Napi::Env& env, const View<T>& v, double elements, const char* name) {
  if (v.present && static_cast<double>(v.length) < elements)
    throw_range(env, std::string("native: ") + name + " has " + std::to_string(v.length) + " elements, needs " +
                         std::to_string(static_cast<long long>(elements)));
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const KernelTable& kt = active_kernels();
  Napi::Object o = Napi::Object::New(env);
  o.Set("isa", kt.isa);
  o.Set("vectorFloats", kt.vector_floats);
  o.Set("mr", kt.mr);
  o.Set("nr", kt.nr);
  o.Set("threads", ThreadPool::instance().threads());
  o.Set("hardwareThreads", hardware_threads());
  Napi::Array isas = Napi::Array::New(env);
  uint32_t n = 0;
  for (const char* isa : {"avx512", "avx2", "baseline"})
    if (cpu_supports_isa(isa)) isas.Set(n++, isa);
  o.Set("supportedIsas", isas);
  return o;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  ThreadPool::instance().set_threads(static_cast<int>(integer(info, 0, "threads", 1)));
  return Napi::Number::New(info.Env(), ThreadPool::instance().threads());
}

// Test-only self-check of the pool's job protocol (see ThreadPool::stress): the count of jobs that ran a task
// other than exactly once.
Napi::Value PoolStress(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(ThreadPool::instance().stress(integer(info, 0, "jobs", 0))));
}

Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throw_type(info.Env(), "native: isa must be a string");
  return Napi::Boolean::New(info.Env(), set_active_isa(info[0].As<Napi::String>().Utf8Value().c_str()));
}

Napi::Value ScratchBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(),
                           static_cast<double>(gemm_scratch_bytes() + ops_scratch_bytes() + lstm_scratch_bytes()));
}

Napi::Value ReleaseScratch(const Napi::CallbackInfo& info) {
  release_gemm_scratch();
  release_ops_scratch();
  release_lstm_scratch();
  return info.Env().Undefined();
}

std::vector<long> long_list(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsArray()) throw_type(info.Env(), std::string("native: ") + name + " must be an array");
  Napi::Array arr = info[i].As<Napi::Array>();
  std::vector<long> out;
  for (uint32_t j = 0; j < arr.Length(); ++j) {
    Napi::Value v = arr.Get(j);
    if (!v.IsNumber()) throw_type(info.Env(), std::string("native: ") + name + " must hold numbers");
    double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= 0) || d != static_cast<double>(static_cast<long>(d)))
      throw_range(info.Env(), std::string("native: ") + name + " must hold non-negative integers");
    out.push_back(static_cast<long>(d));
  }
  return out;
}

// sgemm(batchDims, m, n, k, a, aOff, aRow, aCol, aBatchStrides, b, bOff, bRow, bCol, bBatchStrides, c, cOff, ldc,
//       ldcb, accumulate): the batch axes are lists (one entry per axis, at most GemmBatch::kMaxRank)
Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const std::vector<long> dims = long_list(info, 0, "batchDims");
  const long m = integer(info, 1, "m"), n = integer(info, 2, "n"), k = integer(info, 3, "k");
  auto a = f32(info, 4, "a");
  const long ao = integer(info, 5, "aOffset"), ar = integer(info, 6, "aRow"), ac = integer(info, 7, "aCol");
  const std::vector<long> as = long_list(info, 8, "aBatchStrides");
  auto b = f32(info, 9, "b");
  const long bo = integer(info, 10, "bOffset"), br = integer(info, 11, "bRow"), bc = integer(info, 12, "bCol");
  const std::vector<long> bs = long_list(info, 13, "bBatchStrides");
  auto c = f32(info, 14, "c");
  const long co = integer(info, 15, "cOffset"), ldc = integer(info, 16, "ldc"), ldcb = integer(info, 17, "ldcb");
  const bool accumulate = info[18].ToBoolean();
  auto bias = f32(info, 19, "bias", true);  // optional [n], added to every row
  if (dims.size() > static_cast<size_t>(GemmBatch::kMaxRank))
    throw_range(env, "native: sgemm takes at most " + std::to_string(GemmBatch::kMaxRank) + " batch axes");
  if (as.size() != dims.size() || bs.size() != dims.size())
    throw_range(env, "native: sgemm batch stride lists must have one entry per batch axis");
  GemmBatch batch;
  batch.rank = static_cast<int>(dims.size());
  double count = 1, alast = ao, blast = bo;
  for (size_t i = 0; i < dims.size(); ++i) {
    batch.dims[i] = dims[i];
    batch.a[i] = as[i];
    batch.b[i] = bs[i];
    count *= static_cast<double>(dims[i]);
    if (dims[i] > 0) {
      alast += (dims[i] - 1.0) * as[i];
      blast += (dims[i] - 1.0) * bs[i];
    }
  }
  if (count == 0 || m == 0 || n == 0) return env.Undefined();
  if (ldc < n) throw_range(env, "native: sgemm ldc < n");
  if (k > 0) {
    need(env, a, alast + 1.0 + (m - 1.0) * ar + (k - 1.0) * ac, "sgemm a");
    need(env, b, blast + 1.0 + (k - 1.0) * br + (n - 1.0) * bc, "sgemm b");
  }
  need(env, c, co + 1.0 + (count - 1.0) * ldcb + (m - 1.0) * ldc + (n - 1.0), "sgemm c");
  if (bias.data != nullptr) {
    need(env, bias, static_cast<double>(n), "sgemm bias");
    if (accumulate) throw_range(env, "native: sgemm takes a bias only without accumulate");
  }
  sgemm_batched(batch, m, n, k, StridedMatrix{a.data + ao, ar, ac, 0}, StridedMatrix{b.data + bo, br, bc, 0},
                c.data + co, ldc, ldcb, accumulate, bias.data);
  return env.Undefined();
}

// Operands of binary(op, shape, a, aStrides, b, bStrides, out) and compare(...): bounds-checked against the shape.
struct BroadcastArgs {
  std::vector<long> shape, as, bs;
  View<float> a, b;
  double total;
};

BroadcastArgs broadcast_args(const Napi::CallbackInfo& info, const char* what) {
  const Napi::Env env = info.Env();
  BroadcastArgs r{long_list(info, 1, "shape"), long_list(info, 3, "aStrides"), long_list(info, 5, "bStrides"),
                  f32(info, 2, "a"), f32(info, 4, "b"), 1};
  const size_t rank = r.shape.size();
  if (r.as.size() != rank || r.bs.size() != rank) throw_range(env, "native: stride lists must match the shape's rank");
  double amax = 0, bmax = 0;
  for (size_t d = 0; d < rank; ++d) {
    r.total *= static_cast<double>(r.shape[d]);
    if (r.shape[d] > 0) {
      amax += static_cast<double>(r.shape[d] - 1) * static_cast<double>(r.as[d]);
      bmax += static_cast<double>(r.shape[d] - 1) * static_cast<double>(r.bs[d]);
    }
  }
  if (rank > 0 && ((r.as[rank - 1] > 1) || (r.bs[rank - 1] > 1))) throw_range(env, "native: last-axis stride must be 0 or 1");
  if (r.total > 0) {
    need(env, r.a, amax + 1, (std::string(what) + " a").c_str());
    need(env, r.b, bmax + 1, (std::string(what) + " b").c_str());
  }
  return r;
}

// binary(op, shape, a, aStrides, b, bStrides, out)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const long op = integer(info, 0, "op");
  if (op > static_cast<long>(BinaryOp::ReluGrad)) throw_range(env, "native: unknown binary op");
  BroadcastArgs r = broadcast_args(info, "binary");
  auto out = f32(info, 6, "out");
  if (r.total == 0) return env.Undefined();
  need(env, out, r.total, "binary out");
  binary_broadcast(static_cast<BinaryOp>(op), static_cast<int>(r.shape.size()), r.shape.data(), r.a.data, r.as.data(),
                   r.b.data, r.bs.data(), out.data);
  return env.Undefined();
}

// compare(op, shape, a, aStrides, b, bStrides, out: Uint8Array); op 0 lt, 1 le, 2 eq, 3 ne
Napi::Value Compare(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const long op = integer(info, 0, "op");
  if (op > 3) throw_range(env, "native: unknown compare op");
  BroadcastArgs r = broadcast_args(info, "compare");
  auto out = typed<uint8_t>(info, 6, napi_uint8_array, "out", false);
  if (r.total == 0) return env.Undefined();
  need(env, out, r.total, "compare out");
  compare_broadcast(static_cast<int>(op), static_cast<int>(r.shape.size()), r.shape.data(), r.a.data, r.as.data(),
                    r.b.data, r.bs.data(), out.data);
  return env.Undefined();
}

// castBytesToF32(x: Uint8Array, out: Float32Array); castF32ToBool(x: Float32Array, out: Uint8Array)
Napi::Value CastBytesToF32(const Napi::CallbackInfo& info) {
  auto x = typed<uint8_t>(info, 0, napi_uint8_array, "x", false);
  auto out = f32(info, 1, "out");
  need(info.Env(), out, static_cast<double>(x.length), "cast out");
  cast_u8_f32(static_cast<long>(x.length), x.data, out.data);
  return info.Env().Undefined();
}

Napi::Value CastF32ToBool(const Napi::CallbackInfo& info) {
  auto x = f32(info, 0, "x");
  auto out = typed<uint8_t>(info, 1, napi_uint8_array, "out", false);
  need(info.Env(), out, static_cast<double>(x.length), "cast out");
  cast_f32_bool(static_cast<long>(x.length), x.data, out.data);
  return info.Env().Undefined();
}

Napi::Value Unary(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const long op = integer(info, 0, "op");
  if (op > static_cast<long>(UnaryOp::Square)) throw_range(env, "native: unknown unary op");
  auto x = f32(info, 1, "x");
  auto out = f32(info, 2, "out");
  need(env, out, static_cast<double>(x.length), "unary out");
  unary_op(static_cast<UnaryOp>(op), static_cast<long>(x.length), x.data, out.data);
  return env.Undefined();
}

// reduceRows(op, x, rows, cols, out)
Napi::Value ReduceRows(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const long op = integer(info, 0, "op");
  if (op > 1) throw_range(env, "native: unknown reduction");
  auto x = f32(info, 1, "x");
  const long rows = integer(info, 2, "rows"), cols = integer(info, 3, "cols");
  auto out = f32(info, 4, "out");
  need(env, x, static_cast<double>(rows) * cols, "reduce x");
  need(env, out, static_cast<double>(rows), "reduce out");
  reduce_rows(static_cast<int>(op), rows, cols, x.data, out.data);
  return env.Undefined();
}

// reduceBlock(op, x, outer, reduced, inner, out)
Napi::Value ReduceBlock(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const long op = integer(info, 0, "op");
  if (op > 1) throw_range(env, "native: unknown reduction");
  auto x = f32(info, 1, "x");
  const long outer = integer(info, 2, "outer"), reduced = integer(info, 3, "reduced"), inner = integer(info, 4, "inner");
  auto out = f32(info, 5, "out");
  need(env, x, static_cast<double>(outer) * reduced * inner, "reduce x");
  need(env, out, static_cast<double>(outer) * inner, "reduce out");
  reduce_block(static_cast<int>(op), outer, reduced, inner, x.data, out.data);
  return env.Undefined();
}

// softmaxRows(x, rows, n, y)
Napi::Value SoftmaxRows(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  auto x = f32(info, 0, "x");
  const long rows = integer(info, 1, "rows"), n = integer(info, 2, "n");
  auto y = f32(info, 3, "y");
  need(env, x, static_cast<double>(rows) * n, "softmax x");
  need(env, y, static_cast<double>(rows) * n, "softmax y");
  softmax_rows(rows, n, x.data, y.data);
  return env.Undefined();
}

// softmaxGradRows(y, g, rows, n, gx)
Napi::Value SoftmaxGradRows(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  auto y = f32(info, 0, "y");
  auto g = f32(info, 1, "g");
  const long rows = integer(info, 2, "rows"), n = integer(info, 3, "n");
  auto gx = f32(info, 4, "gx");
  need(env, y, static_cast<double>(rows) * n, "softmaxGrad y");
  need(env, g, static_cast<double>(rows) * n, "softmaxGrad g");
  need(env, gx, static_cast<double>(rows) * n, "softmaxGrad gx");
  softmax_grad_rows(rows, n, y.data, g.data, gx.data);
  return env.Undefined();
}

template <class T>
bool overlaps(const View<T>& a, const View<T>& b) {
  return a.data < b.data + b.length && b.data < a.data + a.length;
}

// layerNormRows(x, rows, d, gamma, beta, eps, y)
Napi::Value LayerNormRows(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  auto x = f32(info, 0, "x");
  const long rows = integer(info, 1, "rows"), d = integer(info, 2, "d");
  auto gamma = f32(info, 3, "gamma");
  auto beta = f32(info, 4, "beta");
  const double eps = number(info, 5, "eps");
  auto y = f32(info, 6, "y");
  const double n = static_cast<double>(rows) * d;
  need(env, x, n, "layerNorm x");
  need(env, y, n, "layerNorm y");
  need(env, gamma, d, "layerNorm gamma");
  need(env, beta, d, "layerNorm beta");
  layer_norm_rows(rows, d, x.data, gamma.data, beta.data, static_cast<float>(eps), y.data);
  return env.Undefined();
}

// layerNormGradRows(x, rows, d, gamma, gy, eps, gx, gGamma, gBeta); gx must not overlap x or gy (it is written
// while they are still read).
Napi::Value LayerNormGradRows(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  auto x = f32(info, 0, "x");
  const long rows = integer(info, 1, "rows"), d = integer(info, 2, "d");
  auto gamma = f32(info, 3, "gamma");
  auto gy = f32(info, 4, "gy");
  const double eps = number(info, 5, "eps");
  auto gx = f32(info, 6, "gx");
  auto g_gamma = f32(info, 7, "gGamma");
  auto g_beta = f32(info, 8, "gBeta");
  const double n = static_cast<double>(rows) * d;
  need(env, x, n, "layerNormGrad x");
  need(env, gy, n, "layerNormGrad gy");
  need(env, gx, n, "layerNormGrad gx");
  need(env, gamma, d, "layerNormGrad gamma");
  need(env, g_gamma, d, "layerNormGrad gGamma");
  need(env, g_beta, d, "layerNormGrad gBeta");
  if (overlaps(gx, x) || overlaps(gx, gy)) throw_range(env, "native: layerNormGrad gx must not overlap x or gy");
  layer_norm_grad_rows(rows, d, x.data, gamma.data, gy.data, static_cast<float>(eps), gx.data, g_gamma.data,
                       g_beta.data);
  return env.Undefined();
}

// copyStrided(shape, src, srcStrides, dst, dstStrides)
Napi::Value CopyStrided(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  auto shape = long_list(info, 0, "shape");
  auto src = f32(info, 1, "src");
  auto ss = long_list(info, 2, "srcStrides");
  auto dst = f32(info, 3, "dst");
  auto ds = long_list(info, 4, "dstStrides");
  const size_t rank = shape.size();
  if (ss.size() != rank || ds.size() != rank) throw_range(env, "native: stride lists must match the shape's rank");
  double total = 1, smax = 0, dmax = 0;
  for (size_t d = 0; d < rank; ++d) {
    total *= static_cast<double>(shape[d]);
    if (shape[d] > 0) {
      smax += static_cast<double>(shape[d] - 1) * static_cast<double>(ss[d]);
      dmax += static_cast<double>(shape[d] - 1) * static_cast<double>(ds[d]);
    }
  }
  if (total == 0) return env.Undefined();
  need(env, src, smax + 1, "copy src");
  need(env, dst, dmax + 1, "copy dst");
  copy_strided(static_cast<int>(rank), shape.data(), src.data, ss.data(), dst.data, ds.data());
  return env.Undefined();
}

// fakeQuant(x, out, rows, cols, scale, zero, qmin, qmax)
Napi::Value FakeQuant(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  auto x = f32(info, 0, "x");
  auto out = f32(info, 1, "out");
  const long rows = integer(info, 2, "rows"), cols = integer(info, 3, "cols");
  auto scale = f32(info, 4, "scale");
  auto zero = f32(info, 5, "zero");
  const double qmin = number(info, 6, "qmin"), qmax = number(info, 7, "qmax");
  const double n = static_cast<double>(rows) * cols;
  need(env, x, n, "fakeQuant x");
  need(env, out, n, "fakeQuant out");
  const long params = static_cast<long>(scale.length);
  if (params != 1 && params != rows) throw_range(env, "native: fakeQuant scale must have 1 or rows entries");
  if (zero.length != scale.length) throw_range(env, "native: fakeQuant zero must match scale");
  fake_quant(rows, cols, x.data, scale.data, zero.data, params, static_cast<float>(qmin), static_cast<float>(qmax),
             out.data);
  return env.Undefined();
}

long ceil_div(long a, long b) { return (a + b - 1) / b; }

void check_packed_params(const Napi::Env& env, const View<float>& scale, const View<float>& zero, long n, long k,
                         long group) {
  const double params = group > 0 ? static_cast<double>(n) * ceil_div(k, group) : static_cast<double>(n);
  need(env, scale, params, "packed scale");
  need(env, zero, params, "packed zero");
}

// int8Matmul(x, m, k, w, n, scale, zero|null, group, y)
Napi::Value Int8Matmul(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  auto x = f32(info, 0, "x");
  const long m = integer(info, 1, "m"), k = integer(info, 2, "k");
  auto w = typed<int8_t>(info, 3, napi_int8_array, "w", false);
  const long n = integer(info, 4, "n");
  auto scale = f32(info, 5, "scale");
  auto zero = f32(info, 6, "zero", true);
  const long group = integer(info, 7, "group");
  auto y = f32(info, 8, "y");
  need(env, x, static_cast<double>(m) * k, "int8 x");
  need(env, w, static_cast<double>(n) * k, "int8 w");
  need(env, y, static_cast<double>(m) * n, "int8 y");
  check_packed_params(env, scale, zero, n, k, group);
  int8_matmul(m, k, n, x.data, w.data, scale.data, zero.data, group, y.data);
  return env.Undefined();
}

// int4Matmul(x, m, k, w, n, signed, scale, zero|null, group, y)
Napi::Value Int4Matmul(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  auto x = f32(info, 0, "x");
  const long m = integer(info, 1, "m"), k = integer(info, 2, "k");
  auto w = typed<uint8_t>(info, 3, napi_uint8_array, "w", false);
  const long n = integer(info, 4, "n");
  const bool is_signed = info[5].ToBoolean();
  auto scale = f32(info, 6, "scale");
  auto zero = f32(info, 7, "zero", true);
  const long group = integer(info, 8, "group");
  auto y = f32(info, 9, "y");
  if (group % 32 != 0) throw_range(env, "native: int4 group must be a multiple of 32 (or 0)");
  need(env, x, static_cast<double>(m) * k, "int4 x");
  need(env, w, static_cast<double>(n) * ceil_div(k, 2), "int4 w");
  need(env, y, static_cast<double>(m) * n, "int4 y");
  check_packed_params(env, scale, zero, n, k, group);
  int4_matmul(m, k, n, x.data, w.data, is_signed, scale.data, zero.data, group, y.data);
  return env.Undefined();
}

// pqMatmul(x, m, k, codebook, centroids, d, codes, n, y)
Napi::Value PqMatmul(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  auto x = f32(info, 0, "x");
  const long m = integer(info, 1, "m"), k = integer(info, 2, "k");
  auto codebook = f32(info, 3, "codebook");
  const long centroids = integer(info, 4, "centroids", 1), d = integer(info, 5, "d", 1);
  auto codes = typed<uint8_t>(info, 6, napi_uint8_array, "codes", false);
  const long n = integer(info, 7, "n");
  auto y = f32(info, 8, "y");
  if (k % d != 0) throw_range(env, "native: pq k must be a multiple of d");
  if (centroids > 256) throw_range(env, "native: pq centroids must be <= 256");
  need(env, x, static_cast<double>(m) * k, "pq x");
  need(env, codebook, static_cast<double>(centroids) * d, "pq codebook");
  need(env, codes, static_cast<double>(n) * (k / d), "pq codes");
  need(env, y, static_cast<double>(m) * n, "pq y");
  for (size_t i = 0; i < static_cast<size_t>(n * (k / d)); ++i)
    if (codes.data[i] >= centroids) throw_range(env, "native: pq code out of range");
  pq_matmul(m, k, n, x.data, codebook.data, centroids, d, codes.data, y.data);
  return env.Undefined();
}

// lstmForward(T, B, I, H, x, wx, wh, bias|null, h0|null, c0|null, hs, cs, gates|null, weightsKey?)
Napi::Value LstmForward(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const long T = integer(info, 0, "T"), B = integer(info, 1, "B"), I = integer(info, 2, "I"),
             H = integer(info, 3, "H");
  auto x = f32(info, 4, "x");
  auto wx = f32(info, 5, "wx");
  auto wh = f32(info, 6, "wh");
  auto bias = f32(info, 7, "bias", true);
  auto h0 = f32(info, 8, "h0", true);
  auto c0 = f32(info, 9, "c0", true);
  auto hs = f32(info, 10, "hs");
  auto cs = f32(info, 11, "cs");
  auto gates = f32(info, 12, "gates", true);
  const long key = info.Length() > 13 && !info[13].IsUndefined() ? integer(info, 13, "weightsKey") : 0;
  const double G = 4.0 * H;
  need(env, x, 1.0 * T * B * I, "lstm x");
  need(env, wx, I * G, "lstm wx");
  need(env, wh, H * G, "lstm wh");
  need(env, bias, G, "lstm bias");
  need(env, h0, 1.0 * B * H, "lstm h0");
  need(env, c0, 1.0 * B * H, "lstm c0");
  need(env, hs, 1.0 * T * B * H, "lstm hs");
  need(env, cs, 1.0 * T * B * H, "lstm cs");
  need(env, gates, T * B * G, "lstm gates");
  lstm_forward(LstmWeights{I, H, wx.data, wh.data, bias.data, key}, T, B, x.data, h0.data, c0.data, hs.data, cs.data,
               gates.data);
  return env.Undefined();
}

// lstmBackward(T, B, I, H, x, wx, wh, h0|null, c0|null, hs, cs, gates, dhs|null, dhLast|null, dcLast|null,
//              dx|null, dwx|null, dwh|null, db|null, dh0|null, dc0|null)
Napi::Value LstmBackward(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const long T = integer(info, 0, "T"), B = integer(info, 1, "B"), I = integer(info, 2, "I"),
             H = integer(info, 3, "H");
  auto x = f32(info, 4, "x");
  auto wx = f32(info, 5, "wx");
  auto wh = f32(info, 6, "wh");
  auto h0 = f32(info, 7, "h0", true);
  auto c0 = f32(info, 8, "c0", true);
  auto hs = f32(info, 9, "hs");
  auto cs = f32(info, 10, "cs");
  auto gates = f32(info, 11, "gates");
  auto dhs = f32(info, 12, "dhs", true);
  auto dh_last = f32(info, 13, "dhLast", true);
  auto dc_last = f32(info, 14, "dcLast", true);
  auto dx = f32(info, 15, "dx", true);
  auto dwx = f32(info, 16, "dwx", true);
  auto dwh = f32(info, 17, "dwh", true);
  auto db = f32(info, 18, "db", true);
  auto dh0 = f32(info, 19, "dh0", true);
  auto dc0 = f32(info, 20, "dc0", true);
  const double G = 4.0 * H, BH = 1.0 * B * H;
  need(env, x, 1.0 * T * B * I, "lstm x");
  need(env, wx, I * G, "lstm wx");
  need(env, wh, H * G, "lstm wh");
  need(env, h0, BH, "lstm h0");
  need(env, c0, BH, "lstm c0");
  need(env, hs, T * BH, "lstm hs");
  need(env, cs, T * BH, "lstm cs");
  need(env, gates, T * B * G, "lstm gates");
  need(env, dhs, T * BH, "lstm dhs");
  need(env, dh_last, BH, "lstm dhLast");
  need(env, dc_last, BH, "lstm dcLast");
  need(env, dx, 1.0 * T * B * I, "lstm dx");
  need(env, dwx, I * G, "lstm dwx");
  need(env, dwh, H * G, "lstm dwh");
  need(env, db, G, "lstm db");
  need(env, dh0, BH, "lstm dh0");
  need(env, dc0, BH, "lstm dc0");
  lstm_backward(LstmWeights{I, H, wx.data, wh.data, nullptr}, T, B, x.data, h0.data, c0.data, hs.data, cs.data,
                gates.data, dhs.data, dh_last.data, dc_last.data,
                LstmGrads{dx.data, dwx.data, dwh.data, db.data, dh0.data, dc0.data});
  return env.Undefined();
}

// The xProj operand of the lstmSequence capabilities: rows of 4H floats at xp + b·xb + t·xt.
View<float> projected(const Napi::CallbackInfo& info, long B, long T, long H, long* xb, long* xt) {
  auto xp = f32(info, 3, "xp");
  *xb = integer(info, 4, "xb");
  *xt = integer(info, 5, "xt");
  if (B > 0 && T > 0) need(info.Env(), xp, static_cast<double>(B - 1) * *xb + static_cast<double>(T - 1) * *xt + 4.0 * H, "lstm xp");
  return xp;
}

// lstmSequence(B, T, H, xp, xb, xt, wh, h0, c0, y, gates|null, whKey?)
Napi::Value LstmSequence(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const long B = integer(info, 0, "B"), T = integer(info, 1, "T"), H = integer(info, 2, "H", 1);
  long xb = 0, xt = 0;
  auto xp = projected(info, B, T, H, &xb, &xt);
  auto wh = f32(info, 6, "wh");
  auto h0 = f32(info, 7, "h0");
  auto c0 = f32(info, 8, "c0");
  auto y = f32(info, 9, "y");
  auto gates = f32(info, 10, "gates", true);
  const long wh_key = info.Length() > 11 && !info[11].IsUndefined() ? integer(info, 11, "whKey") : 0;
  const double BH = 1.0 * B * H;
  need(env, wh, 4.0 * H * H, "lstm wh");
  need(env, h0, BH, "lstm h0");
  need(env, c0, BH, "lstm c0");
  need(env, y, 2.0 * T * BH, "lstm y");
  need(env, gates, 4.0 * T * BH, "lstm gates");
  lstm_projected_forward(B, T, H, xp.data, xb, xt, wh.data, h0.data, c0.data, y.data, gates.data, wh_key);
  return env.Undefined();
}

// lstmSequenceGrad(B, T, H, xp, xb, xt, wh, h0, c0, y, gy, gates|null, gxp, gwh, gh0, gc0)
Napi::Value LstmSequenceGrad(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const long B = integer(info, 0, "B"), T = integer(info, 1, "T"), H = integer(info, 2, "H", 1);
  long xb = 0, xt = 0;
  auto xp = projected(info, B, T, H, &xb, &xt);
  auto wh = f32(info, 6, "wh");
  auto h0 = f32(info, 7, "h0");
  auto c0 = f32(info, 8, "c0");
  auto y = f32(info, 9, "y");
  auto gy = f32(info, 10, "gy");
  auto gates = f32(info, 11, "gates", true);
  auto gxp = f32(info, 12, "gxp");
  auto gwh = f32(info, 13, "gwh");
  auto gh0 = f32(info, 14, "gh0");
  auto gc0 = f32(info, 15, "gc0");
  const double BH = 1.0 * B * H;
  need(env, wh, 4.0 * H * H, "lstm wh");
  need(env, h0, BH, "lstm h0");
  need(env, c0, BH, "lstm c0");
  need(env, y, 2.0 * T * BH, "lstm y");
  need(env, gy, 2.0 * T * BH, "lstm gy");
  need(env, gates, 4.0 * T * BH, "lstm gates");
  need(env, gxp, 4.0 * T * BH, "lstm gxp");
  need(env, gwh, 4.0 * H * H, "lstm gwh");
  need(env, gh0, BH, "lstm gh0");
  need(env, gc0, BH, "lstm gc0");
  lstm_projected_backward(B, T, H, xp.data, xb, xt, wh.data, h0.data, c0.data, y.data, gy.data, gates.data,
                          gxp.data, gwh.data, gh0.data, gc0.data);
  return env.Undefined();
}

Napi::Value FmaPeak(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), fma_peak(integer(info, 0, "iterations", 1),
                                                static_cast<int>(integer(info, 1, "threads", 1))));
}

Napi::Value StreamRead(const Napi::CallbackInfo& info) {
  const long bytes = integer(info, 0, "bytes", 1024);
  return Napi::Number::New(info.Env(), stream_read(static_cast<size_t>(bytes),
                                                   static_cast<int>(integer(info, 1, "repeats", 1)),
                                                   static_cast<int>(integer(info, 2, "threads", 1))));
}

Napi::Value OpenBlasLoad(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (!info[0].IsString()) throw_type(env, "native: path must be a string");
  OpenBlasInfo r = openblas_load(info[0].As<Napi::String>().Utf8Value());
  Napi::Object o = Napi::Object::New(env);
  o.Set("ok", r.ok);
  o.Set("reason", r.reason);
  o.Set("core", r.core);
  o.Set("config", r.config);
  o.Set("threads", r.threads);
  return o;
}

Napi::Value OpenBlasSetThreads(const Napi::CallbackInfo& info) {
  openblas_set_threads(static_cast<int>(integer(info, 0, "threads", 1)));
  return info.Env().Undefined();
}

// openblasSgemm(m, n, k, a, b, c): row-major, no transposes
Napi::Value OpenBlasSgemm(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const long m = integer(info, 0, "m"), n = integer(info, 1, "n"), k = integer(info, 2, "k");
  auto a = f32(info, 3, "a");
  auto b = f32(info, 4, "b");
  auto c = f32(info, 5, "c");
  need(env, a, 1.0 * m * k, "openblas a");
  need(env, b, 1.0 * k * n, "openblas b");
  need(env, c, 1.0 * m * n, "openblas c");
  openblas_sgemm(m, n, k, a.data, b.data, c.data);
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("poolStress", Napi::Function::New(env, PoolStress));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa));
  exports.Set("scratchBytes", Napi::Function::New(env, ScratchBytes));
  exports.Set("releaseScratch", Napi::Function::New(env, ReleaseScratch));
  exports.Set("sgemm", Napi::Function::New(env, Sgemm));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("compare", Napi::Function::New(env, Compare));
  exports.Set("castBytesToF32", Napi::Function::New(env, CastBytesToF32));
  exports.Set("castF32ToBool", Napi::Function::New(env, CastF32ToBool));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("reduceRows", Napi::Function::New(env, ReduceRows));
  exports.Set("reduceBlock", Napi::Function::New(env, ReduceBlock));
  exports.Set("copyStrided", Napi::Function::New(env, CopyStrided));
  exports.Set("softmaxRows", Napi::Function::New(env, SoftmaxRows));
  exports.Set("softmaxGradRows", Napi::Function::New(env, SoftmaxGradRows));
  exports.Set("layerNormRows", Napi::Function::New(env, LayerNormRows));
  exports.Set("layerNormGradRows", Napi::Function::New(env, LayerNormGradRows));
  exports.Set("fakeQuant", Napi::Function::New(env, FakeQuant));
  exports.Set("int8Matmul", Napi::Function::New(env, Int8Matmul));
  exports.Set("int4Matmul", Napi::Function::New(env, Int4Matmul));
  exports.Set("pqMatmul", Napi::Function::New(env, PqMatmul));
  exports.Set("lstmForward", Napi::Function::New(env, LstmForward));
  exports.Set("lstmBackward", Napi::Function::New(env, LstmBackward));
  exports.Set("lstmSequence", Napi::Function::New(env, LstmSequence));
  exports.Set("lstmSequenceGrad", Napi::Function::New(env, LstmSequenceGrad));
  exports.Set("fmaPeak", Napi::Function::New(env, FmaPeak));
  exports.Set("streamRead", Napi::Function::New(env, StreamRead));
  exports.Set("openblasLoad", Napi::Function::New(env, OpenBlasLoad));
  exports.Set("openblasSetThreads", Napi::Function::New(env, OpenBlasSetThreads));
  exports.Set("openblasSgemm", Napi::Function::New(env, OpenBlasSgemm));
  return exports;
}

}  // namespace

NODE_API_MODULE(nibble_cpu, Init)
