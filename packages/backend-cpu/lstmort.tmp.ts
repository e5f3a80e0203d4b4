import { createRequire } from 'node:module';
import * as nb from './src/native/index.js';
import { onnxModel, OnnxType } from './bench/onnx-model.js';
const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');
function randomArray(n: number, seed: number): Float32Array { let s = seed >>> 0; const out = new Float32Array(n); for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out[i] = s / 2 ** 31 - 1; } return out; }
async function med(fn: () => unknown, reps = 20) { for (let i = 0; i < 3; i++) await fn(); const t: number[] = []; for (let i = 0; i < reps; i++) { const a = process.hrtime.bigint(); await fn(); t.push(Number(process.hrtime.bigint() - a) / 1e6); } t.sort((a, b) => a - b); return [t[reps >> 1]!, t[0]!]; }
const onnxGate = [0, 3, 1, 2];
for (const H of (process.env.HS ?? '512,1024').split(',').map(Number)) {
  const T = 100, I = H;
  const wx = randomArray(I * 4 * H, H).map((v) => v * 0.05), wh = randomArray(H * 4 * H, H + 1).map((v) => v * 0.05), bias = randomArray(4 * H, H + 2).map((v) => v * 0.1), xs = randomArray(T * I, H + 3);
  const lw = { inputSize: I, hiddenSize: H, wx, wh, bias };
  const W = new Float32Array(4 * H * I), R = new Float32Array(4 * H * H), Bv = new Float32Array(8 * H);
  for (let g = 0; g < 4; g++) { const o = onnxGate[g]!; for (let j = 0; j < H; j++) { for (let i = 0; i < I; i++) W[(g * H + j) * I + i] = wx[i * 4 * H + o * H + j]!; for (let i = 0; i < H; i++) R[(g * H + j) * H + i] = wh[i * 4 * H + o * H + j]!; Bv[g * H + j] = bias[o * H + j]!; } }
  const model = onnxModel({ nodes: [{ op: 'LSTM', inputs: ['X', 'W', 'R', 'B'], outputs: ['Y'], intAttributes: { hidden_size: H } }], inputs: [{ name: 'X', type: OnnxType.Float, dims: [T, 1, I] }], outputs: [{ name: 'Y', type: OnnxType.Float, dims: [T, 1, 1, H] }], initializers: [{ name: 'W', type: OnnxType.Float, dims: [1, 4 * H, I], data: W }, { name: 'R', type: OnnxType.Float, dims: [1, 4 * H, H], data: R }, { name: 'B', type: OnnxType.Float, dims: [1, 8 * H], data: Bv }] });
  for (const t of (process.env.TS ?? '2').split(',').map(Number)) {
    nb.setNativeThreads(t);
    const session = await ort.InferenceSession.create(model, { intraOpNumThreads: t, interOpNumThreads: 1 });
    const feed = { X: new ort.Tensor('float32', xs, [T, 1, I]) };
    const mine = nb.lstmSequenceForward(lw, xs, T, 1, {}, { saveForBackward: false }).hs;
    const theirs = (await session.run(feed))['Y'].data as Float32Array;
    let md = 0; for (let i = 0; i < mine.length; i++) md = Math.max(md, Math.abs(mine[i]! - theirs[i]!) / Math.max(1e-3, Math.abs(theirs[i]!)));
    for (let r = 0; r < 2; r++) {
      const [om, omin] = await med(() => nb.lstmSequenceForward(lw, xs, T, 1, {}, { saveForBackward: false }));
      const [tm, tmin] = await med(() => session.run(feed));
      console.log(`H=${H} t=${t}: nibble ${om.toFixed(2)} (min ${omin.toFixed(2)}) ORT ${tm.toFixed(2)} (min ${tmin.toFixed(2)}) ratio ${(tm / om).toFixed(2)}x  maxrel ${md.toExponential(1)}`);
    }
  }
}
