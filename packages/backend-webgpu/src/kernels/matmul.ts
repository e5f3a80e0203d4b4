import type { KernelCall, TensorView } from '@nibble/core/spi';
import { cachedSource, LINEAR_INDEX, MAIN_SIGNATURE, numel, offsetCode, simplify } from './common.ts';
import type { Dispatcher } from './dispatcher.ts';

/** Rows × columns of C each thread accumulates in registers. */
const TM = 4;
const TN = 4;

function batchStrides(v: TensorView, batchShape: readonly number[]): number[] {
  const vb = v.shape.length - 2;
  const lead = batchShape.length - vb;
  return batchShape.map((d, i) => (i < lead ? 0 : v.shape[i - lead] === 1 && d !== 1 ? 0 : v.strides[i - lead]!));
}

/**
 * Batched `A[..., M, K] · B[..., K, N]` on strided operands (transposes arrive as swapped strides, broadcast batch
 * axes as stride 0). Each thread computes a 4×4 block of C with register accumulators. No workgroup-memory tiling:
 * on software adapters (SwiftShader, lavapipe) barriers cost more than they save (see performance-notes.md).
 */
export function runMatmul(call: KernelCall<'matmul'>, d: Dispatcher): void {
  const [a, b] = call.inputs as [TensorView, TensorView];
  const out = call.outputs[0]!;
  if (numel(out.shape) === 0) return;
  const m = a.shape.at(-2)!;
  const k = a.shape.at(-1)!;
  const n = b.shape.at(-1)!;
  const batchShape = out.shape.slice(0, -2);
  const batch = simplify(batchShape, [batchStrides(a, batchShape), batchStrides(b, batchShape)]);
  const rank = batch.shape.length;
  const nb = numel(batchShape);
  const tilesM = Math.ceil(m / TM);
  const tilesN = Math.ceil(n / TN);
  const threads = nb * tilesM * tilesN;
  const ar = a.strides.length;
  const br = b.strides.length;
  // info: threads, M, N, K, tilesM, tilesN, aRow, aCol, bRow, bCol, batch shape, a offset + strides, b offset + strides
  const meta = [threads, m, n, k, tilesM, tilesN, a.strides[ar - 2]!, a.strides[ar - 1]!, b.strides[br - 2]!, b.strides[br - 1]!, ...batch.shape];
  const aAt = meta.length;
  meta.push(a.offset, ...batch.strides[0]!);
  const bAt = meta.length;
  meta.push(b.offset, ...batch.strides[1]!);
  if (d.tuning.tiledMatmul && nb <= 65535 && Math.ceil(m / TILE) <= 65535 && Math.ceil(n / TILE) <= 65535) {
    runTiled(d, out, a, b, meta, rank, aAt, bAt, nb, m, n);
    return;
  }
  const acc = Array.from({ length: TM }, (_, i) => `var c${i}: vec4<f32> = vec4<f32>(0.0);`).join('\n  ');
  const code = cachedSource(`mm|${rank}`, () => `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> A: array<f32>;
@group(0) @binding(3) var<storage, read> B: array<f32>;
${MAIN_SIGNATURE} {
  ${LINEAR_INDEX}
  if (idx >= u32(info[0])) { return; }
  let M = info[1]; let N = info[2]; let K = info[3];
  let tn = i32(idx % u32(info[5]));
  let tm = i32((idx / u32(info[5])) % u32(info[4]));
  let bi = idx / u32(info[5] * info[4]);
  ${offsetCode(rank, 10, [aAt, bAt], 'bi')}
  let ars = info[6]; let acs = info[7]; let brs = info[8]; let bcs = info[9];
  let i0 = tm * ${TM}; let j0 = tn * ${TN};
  // clamp rows/columns past the edge to the last one (their results are not stored)
  let r0 = o0 + min(i0, M - 1) * ars; let r1 = o0 + min(i0 + 1, M - 1) * ars;
  let r2 = o0 + min(i0 + 2, M - 1) * ars; let r3 = o0 + min(i0 + 3, M - 1) * ars;
  let q0 = o1 + min(j0, N - 1) * bcs; let q1 = o1 + min(j0 + 1, N - 1) * bcs;
  let q2 = o1 + min(j0 + 2, N - 1) * bcs; let q3 = o1 + min(j0 + 3, N - 1) * bcs;
  ${acc}
  for (var kk: i32 = 0; kk < K; kk++) {
    let ak = kk * acs; let bk = kk * brs;
    let bv = vec4<f32>(B[q0 + bk], B[q1 + bk], B[q2 + bk], B[q3 + bk]);
    c0 += A[r0 + ak] * bv; c1 += A[r1 + ak] * bv; c2 += A[r2 + ak] * bv; c3 += A[r3 + ak] * bv;
  }
  let base = i32(bi) * M * N;
  let cs = array<vec4<f32>, 4>(c0, c1, c2, c3);
  for (var r: i32 = 0; r < ${TM}; r++) {
    if (i0 + r >= M) { break; }
    for (var c: i32 = 0; c < ${TN}; c++) {
      if (j0 + c >= N) { break; }
      out[base + (i0 + r) * N + j0 + c] = cs[r][c];
    }
  }
}`);
  d.dispatch(code, meta, [out.buffer, a.buffer, b.buffer], threads);
}

/** Tile of C per workgroup (rows = columns) and depth of the K slices staged in workgroup memory. */
const TILE = 64;
const KT = 16;

/**
 * The workgroup-tiled variant for GPUs: a 16×16 workgroup stages a 64×16 slice of A and a 16×64 slice of B in
 * workgroup memory per step of K (strided global reads, zero-filled past the edges) and each thread accumulates a 4×4
 * block of the 64×64 tile of C. Grid: (tiles along N, tiles along M, batch).
 */
function runTiled(d: Dispatcher, out: TensorView, a: TensorView, b: TensorView, meta: number[], rank: number, aAt: number, bAt: number, nb: number, m: number, n: number): void {
  const code = cachedSource(`mm-tiled|${rank}`, () => `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> A: array<f32>;
@group(0) @binding(3) var<storage, read> B: array<f32>;
var<workgroup> As: array<f32, ${TILE * KT}>;
var<workgroup> Bs: array<f32, ${KT * TILE}>;
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = info[1]; let N = info[2]; let K = info[3];
  let ars = info[6]; let acs = info[7]; let brs = info[8]; let bcs = info[9];
  let bi = wg.z;
  ${offsetCode(rank, 10, [aAt, bAt], 'bi')}
  let row0 = i32(wg.y) * ${TILE}; let col0 = i32(wg.x) * ${TILE};
  let tx = i32(lid.x); let ty = i32(lid.y); let tid = ty * 16 + tx;
  var c0 = vec4<f32>(0.0); var c1 = vec4<f32>(0.0); var c2 = vec4<f32>(0.0); var c3 = vec4<f32>(0.0);
  for (var k0 = 0; k0 < K; k0 += ${KT}) {
    for (var q = 0; q < 4; q++) {
      let e = tid + 256 * q;
      let ar = row0 + e / ${KT}; let ak = k0 + e % ${KT};
      var av = 0.0;
      if (ar < M && ak < K) { av = A[o0 + ar * ars + ak * acs]; }
      As[e] = av;
      let bk = k0 + e / ${TILE}; let bc = col0 + e % ${TILE};
      var bv = 0.0;
      if (bk < K && bc < N) { bv = B[o1 + bk * brs + bc * bcs]; }
      Bs[e] = bv;
    }
    workgroupBarrier();
    for (var kk = 0; kk < ${KT}; kk++) {
      let bb = kk * ${TILE} + tx * 4;
      let bvec = vec4<f32>(Bs[bb], Bs[bb + 1], Bs[bb + 2], Bs[bb + 3]);
      let ab = ty * 4 * ${KT} + kk;
      c0 += As[ab] * bvec; c1 += As[ab + ${KT}] * bvec; c2 += As[ab + ${2 * KT}] * bvec; c3 += As[ab + ${3 * KT}] * bvec;
    }
    workgroupBarrier();
  }
  let base = i32(bi) * M * N;
  let cs = array<vec4<f32>, 4>(c0, c1, c2, c3);
  for (var r = 0; r < 4; r++) {
    let gr = row0 + ty * 4 + r;
    if (gr >= M) { break; }
    for (var c = 0; c < 4; c++) {
      let gc = col0 + tx * 4 + c;
      if (gc < N) { out[base + gr * N + gc] = cs[r][c]; }
    }
  }
}`);
  d.dispatch(code, meta, [out.buffer, a.buffer, b.buffer], 0, { grid: [Math.ceil(n / TILE), Math.ceil(m / TILE), nb] });
}
