import type { KernelCall, KernelParams } from '@nibble/core/spi';
import { LINEAR_INDEX, MAIN_SIGNATURE } from './common.ts';
import type { Dispatcher } from './dispatcher.ts';

const TWO_32 = 2 ** 32;

/**
 * Philox-4x32-10 in the stream layout of core's `philoxWords`: word i comes from block counter
 * (counter + floor(i / 4)) as a 64-bit (lo, hi) pair, counter word 2 = stream, word 3 = 0, key = (seed lo, seed hi).
 * WGSL has no 64-bit integers, so the 32×32 → 64 products are assembled from 16-bit halves.
 */
export function runRandomBits(call: KernelCall<'randomBits'>, d: Dispatcher): void {
  const out = call.outputs[0]!;
  const { key, as } = call.params as KernelParams['randomBits'];
  const n = out.shape.reduce((a, s) => a * s, 1);
  if (n === 0) return;
  const blocks = Math.ceil(n / 4);
  const meta = [n, blocks, key.seed % TWO_32, Math.floor(key.seed / TWO_32), key.stream, key.counter % TWO_32, Math.floor(key.counter / TWO_32)];
  const emit = as === 'bits' ? 'bitcast<i32>(w)' : 'f32(w >> 8u) * 5.9604644775390625e-8';
  const code = `@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<${as === 'bits' ? 'i32' : 'f32'}>;
fn mulhilo(a: u32, b: u32) -> vec2<u32> {
  let a0 = a & 0xffffu; let a1 = a >> 16u; let b0 = b & 0xffffu; let b1 = b >> 16u;
  let p00 = a0 * b0; let p01 = a0 * b1; let p10 = a1 * b0; let p11 = a1 * b1;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  return vec2<u32>(p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u), a * b);
}
${MAIN_SIGNATURE} {
  ${LINEAR_INDEX}
  if (idx >= u32(info[1])) { return; }
  let n = u32(info[0]);
  let cLo = bitcast<u32>(info[5]);
  var c0 = cLo + idx;
  var c1 = bitcast<u32>(info[6]) + select(0u, 1u, c0 < cLo);
  var c2 = bitcast<u32>(info[4]);
  var c3 = 0u;
  var k0 = bitcast<u32>(info[2]);
  var k1 = bitcast<u32>(info[3]);
  for (var r = 0; r < 10; r++) {
    if (r > 0) { k0 += 0x9e3779b9u; k1 += 0xbb67ae85u; }
    let p0 = mulhilo(0xd2511f53u, c0);
    let p1 = mulhilo(0xcd9e8d57u, c2);
    let n0 = p1.x ^ c1 ^ k0;
    let n2 = p0.x ^ c3 ^ k1;
    c0 = n0; c1 = p1.y; c2 = n2; c3 = p0.y;
  }
  let words = array<u32, 4>(c0, c1, c2, c3);
  for (var w4 = 0u; w4 < 4u; w4++) {
    let i = idx * 4u + w4;
    if (i >= n) { break; }
    let w = words[w4];
    out[i] = ${emit};
  }
}`;
  d.dispatch(code, meta, [out.buffer], blocks);
}
