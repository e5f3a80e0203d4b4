// Native CPU kernels vs the machine's limits and peers, in one run:
//   pnpm --filter @nibble/backend-cpu run bench:native            (or: cd packages/backend-cpu && pnpm exec tsx bench/native-bench.ts)
// Prints medians (min–max) and ratios; every kernel's output is checked against a peer before it is timed.
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import * as nb from '../src/native/index.js';
import { onnxModel, OnnxType } from './onnx-model.js';

const require = createRequire(import.meta.url);

interface Timing {
  median: number;
  min: number;
  max: number;
  otherCpu: number; // share of the machine's CPU time used by other processes during the case
}

function busyJiffies(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

async function measure(fn: () => unknown, reps: number, warmup = 2): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const before = busyJiffies();
  const cpuBefore = process.cpuUsage();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  const after = busyJiffies();
  const cpu = process.cpuUsage(cpuBefore);
  const ours = (cpu.user + cpu.system) / 1e4; // µs → jiffies (100 Hz)
  const otherCpu = Math.max(0, (after.busy - before.busy - ours) / Math.max(1, after.total - before.total));
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)] ?? NaN, min: times[0] ?? NaN, max: times[times.length - 1] ?? NaN, otherCpu };
}

const rows: { name: string; value: string; note: string }[] = [];
function report(name: string, value: string, note = ''): void {
  rows.push({ name, value, note });
  console.log(`${name.padEnd(44)} ${value.padEnd(34)} ${note}`);
}
const fmt = (t: Timing, unit: (s: number) => string) => `${unit(t.median)} (${unit(t.max)}–${unit(t.min)})`;
const noise = (t: Timing) => (t.otherCpu > 0.05 ? `other CPU ${(t.otherCpu * 100).toFixed(0)}%` : '');

function randomArray(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let scale = 1e-30;
  let worst = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(b[i] ?? 0));
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] ?? NaN) - (b[i] ?? NaN)));
  return worst / scale;
}

async function main(): Promise<void> {
  const status = nb.loadNative();
  if (!status.ok) throw new Error(`native kernels unavailable: ${status.reason}`);
  const model = execSync("lscpu | sed -n 's/^Model name: *//p'").toString().trim();
  const hw = nb.nativeInfo().hardwareThreads;
  console.log(`machine: ${model}, ${hw} threads; node ${process.version}; ISA ${nb.nativeInfo().isa}`);
  console.log(`env: OPENBLAS_CORETYPE=${process.env['OPENBLAS_CORETYPE'] ?? '(unset)'} OPENBLAS_L2_SIZE=${process.env['OPENBLAS_L2_SIZE'] ?? '(unset)'}\n`);
  const threadCounts = [1, 2].filter((t) => t <= Math.max(hw, 2));
  nb.setNativeThreads(Math.max(...threadCounts));

  // ---- machine limits
  const peak: Record<number, number> = {};
  const stream: Record<number, number> = {};
  for (const t of threadCounts) {
    peak[t] = Math.max(nb.measureFmaPeak(t, 3e7), nb.measureFmaPeak(t, 3e7), nb.measureFmaPeak(t, 3e7));
    report(`FMA peak, ${t} thread(s)`, `${(peak[t] / 1e9).toFixed(1)} GFLOP/s`);
  }
  for (const t of threadCounts) {
    stream[t] = nb.measureReadBandwidth(256 << 20, 5, t);
    report(`STREAM read (256 MiB), ${t} thread(s)`, `${(stream[t] / 1e9).toFixed(1)} GB/s`);
  }

  // ---- sgemm 1024³
  const N = 1024;
  const a = randomArray(N * N, 1);
  const b = randomArray(N * N, 2);
  const flops = 2 * N ** 3;
  const gf = (s: number) => `${(flops / s / 1e9).toFixed(1)} GFLOP/s`;
  const ours: Record<number, Timing> = {};
  const cOurs = new Float32Array(N * N);
  for (const t of threadCounts) {
    nb.setNativeThreads(t);
    ours[t] = await measure(() => nb.matmul(a, b, N, N, N, { out: cOurs }), 15);
    report(`sgemm 1024³ nibble, ${t} thread(s)`, fmt(ours[t], gf), `${((flops / ours[t].median / (peak[t] ?? 1)) * 100).toFixed(0)}% of FMA peak ${noise(ours[t])}`);
  }
  const blas = nb.loadOpenBlas('libopenblas.so.0');
  const blasT: Record<number, Timing> = {};
  if (blas.ok) {
    const cBlas = new Float32Array(N * N);
    nb.openBlasSgemm(a, b, cBlas, N, N, N);
    console.log(`  OpenBLAS core: ${blas.core}; config: ${blas.config}; max relative difference vs nibble ${maxRelDiff(cOurs, cBlas).toExponential(1)}`);
    for (const t of threadCounts) {
      nb.setOpenBlasThreads(t);
      blasT[t] = await measure(() => nb.openBlasSgemm(a, b, cBlas, N, N, N), 15);
      report(`sgemm 1024³ OpenBLAS (${blas.core}), ${t} thread(s)`, fmt(blasT[t], gf), `nibble/OpenBLAS ${((blasT[t].median / (ours[t]?.median ?? NaN))).toFixed(2)}× ${noise(blasT[t])}`);
    }
  } else {
    report('OpenBLAS', 'unavailable', blas.reason);
  }

  // tfjs-wasm (XNNPACK; tfjs keeps the wasm backend single-threaded in Node)
  try {
    const tf = require('@tensorflow/tfjs') as typeof import('@tensorflow/tfjs');
    require('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    await tf.ready();
    const ta = tf.tensor2d(a, [N, N]);
    const tb = tf.tensor2d(b, [N, N]);
    const check = (await tf.matMul(ta, tb).data()) as Float32Array;
    console.log(`  tfjs-wasm max relative difference vs nibble ${maxRelDiff(check, cOurs).toExponential(1)}`);
    const tt = await measure(async () => {
      const c = tf.matMul(ta, tb);
      await c.data();
      c.dispose();
    }, 7);
    report('sgemm 1024³ tfjs-wasm 4.22, 1 thread', fmt(tt, gf), `nibble(1t)/tfjs-wasm ${(tt.median / (ours[1]?.median ?? NaN)).toFixed(1)}×, nibble(2t) ${(tt.median / (ours[2]?.median ?? NaN)).toFixed(1)}× ${noise(tt)}`);
  } catch (e) {
    report('tfjs-wasm', 'failed', String(e));
  }

  // ---- int4 matvec 4096×4096, group 32, weights rotated over > 64 MB so they stream from DRAM
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  const K = 4096;
  const M = 4096;
  const copies = 10;
  const groups = K / 32;
  const weights = Array.from({ length: copies }, (_, c) => {
    const codes = new Uint8Array((M * K) / 2);
    let s = 12345 + c;
    for (let i = 0; i < codes.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      codes[i] = s >>> 24;
    }
    const scale = randomArray(M * groups, 100 + c).map((v) => 0.01 + Math.abs(v) * 0.01);
    return { codes, scale, zero: new Float32Array(M * groups).fill(8) };
  });
  const payload = weights[0]!.codes.byteLength + weights[0]!.scale.byteLength;
  const x = randomArray(K, 7);
  let rot = 0;
  const y = new Float32Array(M);
  const int4 = (i: number) => ({ codes: weights[i]!.codes, signed: false, zeroPoint: weights[i]!.zero, scale: weights[i]!.scale, outFeatures: M, inFeatures: K, groupSize: 32 });
  const int4T: Record<number, Timing> = {};
  for (const t of threadCounts) {
    nb.setNativeThreads(t);
    int4T[t] = await measure(() => nb.int4Matmul(x, 1, int4(rot++ % copies), y), 60, 10);
    const gbs = payload / int4T[t].median / 1e9;
    report(`int4 matvec 4096² g32 nibble, ${t} thread(s)`, fmt(int4T[t], (s) => `${(s * 1e3).toFixed(3)} ms`), `${gbs.toFixed(1)} GB/s = ${((gbs * 1e9) / (stream[t] ?? 1) * 100).toFixed(0)}% of STREAM ${noise(int4T[t])}`);
  }
  const nbits = (i: number) =>
    onnxModel({
      nodes: [{ op: 'MatMulNBits', domain: 'com.microsoft', inputs: ['A', 'B', 'scales', 'zp'], outputs: ['Y'], intAttributes: { K, N: M, bits: 4, block_size: 32 } }],
      inputs: [{ name: 'A', type: OnnxType.Float, dims: [1, K] }],
      outputs: [{ name: 'Y', type: OnnxType.Float, dims: [1, M] }],
      initializers: [
        { name: 'B', type: OnnxType.Uint8, dims: [M, groups, 16], data: weights[i]!.codes },
        { name: 'scales', type: OnnxType.Float, dims: [M * groups], data: weights[i]!.scale },
        { name: 'zp', type: OnnxType.Uint8, dims: [(M * groups) / 2], data: new Uint8Array((M * groups) / 2).fill(0x88) },
      ],
    });
  for (const t of threadCounts) {
    const sessions = await Promise.all(
      Array.from({ length: copies }, (_, i) => ort.InferenceSession.create(nbits(i), { intraOpNumThreads: t, interOpNumThreads: 1, graphOptimizationLevel: 'all' })),
    );
    const feed = { A: new ort.Tensor('float32', x, [1, K]) };
    if (t === threadCounts[0]) {
      nb.int4Matmul(x, 1, int4(0), y);
      const out = (await sessions[0]!.run(feed))['Y']!.data as Float32Array;
      console.log(`  ORT MatMulNBits max relative difference vs nibble ${maxRelDiff(y, out).toExponential(1)}`);
    }
    let r = 0;
    const ortT = await measure(() => sessions[r++ % copies]!.run(feed), 60, 10);
    report(`int4 matvec 4096² ORT MatMulNBits, ${t} thread(s)`, fmt(ortT, (s) => `${(s * 1e3).toFixed(3)} ms`), `nibble faster by ${(ortT.median / (int4T[t]?.median ?? NaN)).toFixed(2)}× ${noise(ortT)}`);
  }

  // ---- LSTM inference, batch 1, T = 100
  const onnxGate = [0, 3, 1, 2]; // ONNX gate order i, o, f, c → nibble i, f, g, o
  for (const H of [512, 1024]) {
    const T = 100;
    const I = H;
    const wx = randomArray(I * 4 * H, H).map((v) => v * 0.05);
    const wh = randomArray(H * 4 * H, H + 1).map((v) => v * 0.05);
    const bias = randomArray(4 * H, H + 2).map((v) => v * 0.1);
    const xs = randomArray(T * I, H + 3);
    const lw = { inputSize: I, hiddenSize: H, wx, wh, bias };
    const W = new Float32Array(4 * H * I);
    const R = new Float32Array(4 * H * H);
    const Bv = new Float32Array(8 * H);
    for (let g = 0; g < 4; g++) {
      const ours4 = onnxGate[g]!;
      for (let j = 0; j < H; j++) {
        for (let i = 0; i < I; i++) W[(g * H + j) * I + i] = wx[i * 4 * H + ours4 * H + j]!;
        for (let i = 0; i < H; i++) R[(g * H + j) * H + i] = wh[i * 4 * H + ours4 * H + j]!;
        Bv[g * H + j] = bias[ours4 * H + j]!;
      }
    }
    const lstmModel = onnxModel({
      nodes: [{ op: 'LSTM', inputs: ['X', 'W', 'R', 'B'], outputs: ['Y'], intAttributes: { hidden_size: H } }],
      inputs: [{ name: 'X', type: OnnxType.Float, dims: [T, 1, I] }],
      outputs: [{ name: 'Y', type: OnnxType.Float, dims: [T, 1, 1, H] }],
      initializers: [
        { name: 'W', type: OnnxType.Float, dims: [1, 4 * H, I], data: W },
        { name: 'R', type: OnnxType.Float, dims: [1, 4 * H, H], data: R },
        { name: 'B', type: OnnxType.Float, dims: [1, 8 * H], data: Bv },
      ],
    });
    for (const t of threadCounts) {
      nb.setNativeThreads(t);
      const oursT = await measure(() => nb.lstmSequenceForward(lw, xs, T, 1, {}, { saveForBackward: false }), 20, 3);
      const session = await ort.InferenceSession.create(lstmModel, { intraOpNumThreads: t, interOpNumThreads: 1 });
      const feed = { X: new ort.Tensor('float32', xs, [T, 1, I]) };
      if (t === threadCounts[0]) {
        const mine = nb.lstmSequenceForward(lw, xs, T, 1, {}, { saveForBackward: false }).hs;
        const theirs = (await session.run(feed))['Y']!.data as Float32Array;
        console.log(`  ORT LSTM H=${H} max relative difference vs nibble ${maxRelDiff(mine, theirs).toExponential(1)}`);
      }
      const ortT = await measure(() => session.run(feed), 20, 3);
      const ms = (s: number) => `${(s * 1e3).toFixed(2)} ms`;
      report(`LSTM B=1 T=100 H=${H} nibble, ${t} thread(s)`, fmt(oursT, ms), noise(oursT));
      report(`LSTM B=1 T=100 H=${H} ORT, ${t} thread(s)`, fmt(ortT, ms), `nibble faster by ${(ortT.median / oursT.median).toFixed(2)}× ${noise(ortT)}`);
    }
  }
  console.log(`\n${rows.length} rows.`);
}

await main();
