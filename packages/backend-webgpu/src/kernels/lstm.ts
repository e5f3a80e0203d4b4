import type { KernelCall, TensorView } from '@nibble/core/spi';
import { LINEAR_INDEX, MAIN_SIGNATURE, PRELUDE } from './common.ts';
import type { Dispatcher } from './dispatcher.ts';
import { FLOAT_FUNCTIONS } from './elementwise.ts';
import { FLOAT_MATH } from './float-math.ts';

/** Storage buffers the backward gate kernel binds (meta included): the capability needs this many per stage. */
export const LSTM_STORAGE_BUFFERS = 10;

/**
 * Shape and strides of the inputs, shared by every LSTM kernel. Layout of `info`: B, T, H, step, then offset and
 * strides of xProj (3), wh (2), h0 (2), c0 (2), Y (4) and gY (4).
 */
function infoOf(b: number, t: number, h: number, step: number, xp: TensorView, wh: TensorView, h0: TensorView, c0: TensorView, y?: TensorView, gy?: TensorView): number[] {
  const v = (x: TensorView | undefined, rank: number) => (x ? [x.offset, ...x.strides] : new Array<number>(rank + 1).fill(0));
  return [b, t, h, step, ...v(xp, 3), ...v(wh, 2), ...v(h0, 2), ...v(c0, 2), ...v(y, 4), ...v(gy, 4)];
}

const ACCESSORS = /* wgsl */ `
fn XP(r: i32, s: i32, c: i32) -> f32 { return xp[info[4] + r * info[5] + s * info[6] + c * info[7]]; }
fn WH(m: i32, c: i32) -> f32 { return wh[info[8] + m * info[9] + c * info[10]]; }
fn H0(r: i32, m: i32) -> f32 { return h0[info[11] + r * info[12] + m * info[13]]; }
fn C0(r: i32, m: i32) -> f32 { return c0[info[14] + r * info[15] + m * info[16]]; }
`;
const Y_ACCESSORS = /* wgsl */ `
fn YV(r: i32, s: i32, k: i32, m: i32) -> f32 { return yv[info[17] + r * info[18] + s * info[19] + k * info[20] + m * info[21]]; }
fn GY(r: i32, s: i32, k: i32, m: i32) -> f32 { return gy[info[22] + r * info[23] + s * info[24] + k * info[25] + m * info[26]]; }
fn HPREV(r: i32, s: i32, m: i32) -> f32 { if (s == 0) { return H0(r, m); } return YV(r, s - 1, 0, m); }
`;
const HEADER = `${PRELUDE}${FLOAT_MATH}${FLOAT_FUNCTIONS}\n@group(0) @binding(0) var<storage, read> info: array<i32>;`;

/**
 * Whole-sequence LSTM forward (see core's `lstmSequence`): one dispatch per time step, each thread computes the four
 * gate pre-activations of one (batch row, hidden unit) and writes h_t and c_t into Y; the next step reads them back.
 */
export function runLstmSequence(call: KernelCall<'lstmSequence'>, d: Dispatcher): void {
  const [xp, wh, h0, c0] = call.inputs as [TensorView, TensorView, TensorView, TensorView];
  const y = call.outputs[0]!;
  const [b, steps, h4] = xp.shape as [number, number, number];
  const hid = h4 / 4;
  const code = `${HEADER}
@group(0) @binding(1) var<storage, read_write> yo: array<f32>;
@group(0) @binding(2) var<storage, read> xp: array<f32>;
@group(0) @binding(3) var<storage, read> wh: array<f32>;
@group(0) @binding(4) var<storage, read> h0: array<f32>;
@group(0) @binding(5) var<storage, read> c0: array<f32>;
${ACCESSORS}
${MAIN_SIGNATURE} {
  ${LINEAR_INDEX}
  let B = info[0]; let T = info[1]; let H = info[2]; let s = info[3];
  if (i32(idx) >= B * H) { return; }
  let r = i32(idx) / H; let j = i32(idx) % H;
  var z0 = 0.0; var z1 = 0.0; var z2 = 0.0; var z3 = 0.0;
  for (var m = 0; m < H; m++) {
    var hp: f32;
    if (s == 0) { hp = H0(r, m); } else { hp = yo[((r * T + s - 1) * 2) * H + m]; }
    z0 += hp * WH(m, j); z1 += hp * WH(m, H + j); z2 += hp * WH(m, 2 * H + j); z3 += hp * WH(m, 3 * H + j);
  }
  var cp: f32;
  if (s == 0) { cp = C0(r, j); } else { cp = yo[((r * T + s - 1) * 2 + 1) * H + j]; }
  let i = f_sigmoid(z0 + XP(r, s, j));
  let f = f_sigmoid(z1 + XP(r, s, H + j));
  let g = f_tanh(z2 + XP(r, s, 2 * H + j));
  let o = f_sigmoid(z3 + XP(r, s, 3 * H + j));
  let cv = f * cp + i * g;
  yo[((r * T + s) * 2) * H + j] = o * f_tanh(cv);
  yo[((r * T + s) * 2 + 1) * H + j] = cv;
}`;
  for (let s = 0; s < steps; s++) {
    d.dispatch(code, infoOf(b, steps, hid, s, xp, wh, h0, c0), [y.buffer, xp.buffer, wh.buffer, h0.buffer, c0.buffer], b * hid);
  }
}

/**
 * Backpropagation through time for {@link runLstmSequence}, per step in reverse: one kernel recomputes the gates from
 * the saved h and c and writes dz_t (straight into gXProj) and dc; a second computes dh = dz_t·Whᵀ. After the loop
 * gWh = Σ_t h_{t−1}ᵀ·dz_t in one kernel. gh0 and gc0 hold the running dh and dc.
 */
export function runLstmSequenceGrad(call: KernelCall<'lstmSequenceGrad'>, d: Dispatcher): void {
  const [xp, wh, h0, c0, y, gy] = call.inputs as [TensorView, TensorView, TensorView, TensorView, TensorView, TensorView];
  const [gx, gw, gh0, gc0] = call.outputs as [TensorView, TensorView, TensorView, TensorView];
  const [b, steps, h4] = xp.shape as [number, number, number];
  const hid = h4 / 4;
  d.clear(gh0.buffer);
  d.clear(gc0.buffer);
  if (steps === 0 || b === 0) {
    d.clear(gw.buffer);
    return;
  }
  const gates = `${HEADER}
@group(0) @binding(1) var<storage, read_write> gx: array<f32>;
@group(0) @binding(2) var<storage, read_write> dcn: array<f32>;
@group(0) @binding(3) var<storage, read> dhn: array<f32>;
@group(0) @binding(4) var<storage, read> xp: array<f32>;
@group(0) @binding(5) var<storage, read> wh: array<f32>;
@group(0) @binding(6) var<storage, read> h0: array<f32>;
@group(0) @binding(7) var<storage, read> c0: array<f32>;
@group(0) @binding(8) var<storage, read> yv: array<f32>;
@group(0) @binding(9) var<storage, read> gy: array<f32>;
${ACCESSORS}
${Y_ACCESSORS}
${MAIN_SIGNATURE} {
  ${LINEAR_INDEX}
  let B = info[0]; let T = info[1]; let H = info[2]; let s = info[3];
  if (i32(idx) >= B * H) { return; }
  let r = i32(idx) / H; let j = i32(idx) % H;
  var z0 = 0.0; var z1 = 0.0; var z2 = 0.0; var z3 = 0.0;
  for (var m = 0; m < H; m++) {
    let hp = HPREV(r, s, m);
    z0 += hp * WH(m, j); z1 += hp * WH(m, H + j); z2 += hp * WH(m, 2 * H + j); z3 += hp * WH(m, 3 * H + j);
  }
  let i = f_sigmoid(z0 + XP(r, s, j));
  let f = f_sigmoid(z1 + XP(r, s, H + j));
  let g = f_tanh(z2 + XP(r, s, 2 * H + j));
  let o = f_sigmoid(z3 + XP(r, s, 3 * H + j));
  var cPrev: f32;
  if (s == 0) { cPrev = C0(r, j); } else { cPrev = YV(r, s - 1, 1, j); }
  let tc = f_tanh(YV(r, s, 1, j));
  let dh = GY(r, s, 0, j) + dhn[r * H + j];
  let dc = GY(r, s, 1, j) + dcn[r * H + j] + dh * o * (1.0 - tc * tc);
  let base = (r * T + s) * 4 * H;
  gx[base + j] = dc * g * i * (1.0 - i);
  gx[base + H + j] = dc * cPrev * f * (1.0 - f);
  gx[base + 2 * H + j] = dc * i * (1.0 - g * g);
  gx[base + 3 * H + j] = dh * tc * o * (1.0 - o);
  dcn[r * H + j] = dc * f;
}`;
  const dhKernel = `${HEADER}
@group(0) @binding(1) var<storage, read_write> dhn: array<f32>;
@group(0) @binding(2) var<storage, read> gx: array<f32>;
@group(0) @binding(3) var<storage, read> wh: array<f32>;
fn WH(m: i32, c: i32) -> f32 { return wh[info[8] + m * info[9] + c * info[10]]; }
${MAIN_SIGNATURE} {
  ${LINEAR_INDEX}
  let B = info[0]; let T = info[1]; let H = info[2]; let s = info[3];
  if (i32(idx) >= B * H) { return; }
  let r = i32(idx) / H; let m = i32(idx) % H;
  let base = (r * T + s) * 4 * H;
  var acc = 0.0;
  for (var k = 0; k < 4 * H; k++) { acc += gx[base + k] * WH(m, k); }
  dhn[r * H + m] = acc;
}`;
  for (let s = steps - 1; s >= 0; s--) {
    const info = infoOf(b, steps, hid, s, xp, wh, h0, c0, y, gy);
    d.dispatch(gates, info, [gx.buffer, gc0.buffer, gh0.buffer, xp.buffer, wh.buffer, h0.buffer, c0.buffer, y.buffer, gy.buffer], b * hid);
    d.dispatch(dhKernel, info, [gh0.buffer, gx.buffer, wh.buffer], b * hid);
  }
  const gwKernel = `${HEADER}
@group(0) @binding(1) var<storage, read_write> gw: array<f32>;
@group(0) @binding(2) var<storage, read> gx: array<f32>;
@group(0) @binding(3) var<storage, read> h0: array<f32>;
@group(0) @binding(4) var<storage, read> yv: array<f32>;
fn H0(r: i32, m: i32) -> f32 { return h0[info[11] + r * info[12] + m * info[13]]; }
fn YV(r: i32, s: i32, k: i32, m: i32) -> f32 { return yv[info[17] + r * info[18] + s * info[19] + k * info[20] + m * info[21]]; }
fn HPREV(r: i32, s: i32, m: i32) -> f32 { if (s == 0) { return H0(r, m); } return YV(r, s - 1, 0, m); }
${MAIN_SIGNATURE} {
  ${LINEAR_INDEX}
  let B = info[0]; let T = info[1]; let H = info[2];
  if (i32(idx) >= H * 4 * H) { return; }
  let m = i32(idx) / (4 * H); let k = i32(idx) % (4 * H);
  var acc = 0.0;
  for (var r = 0; r < B; r++) {
    for (var s = 0; s < T; s++) { acc += HPREV(r, s, m) * gx[(r * T + s) * 4 * H + k]; }
  }
  gw[idx] = acc;
}`;
  d.dispatch(gwKernel, infoOf(b, steps, hid, 0, xp, wh, h0, c0, y, gy), [gw.buffer, gx.buffer, h0.buffer, y.buffer], hid * h4);
}
