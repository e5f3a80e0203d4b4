// Float64 references of the elementwise and reduction cases of suite-cases.json.
import type { ElementwiseCase, ReduceCase } from '../cases/suite-cases.js';

/** op(x) or x op y (y[cols] broadcast over the rows) in float64, row-major [rows, cols]. */
export function elementwise64(c: ElementwiseCase, x: Float32Array, y: Float32Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const a = x[i] as number;
    const b = y[i % c.cols] as number;
    out[i] = c.op === 'add' ? a + b : c.op === 'mul' ? a * b : c.op === 'tanh' ? Math.tanh(a) : Math.exp(a);
  }
  return out;
}

/** Sum or max of x[rows, cols] over `axis` in float64: [rows] for axis 1, [cols] for axis 0. */
export function reduce64(c: ReduceCase, x: Float32Array): Float64Array {
  const n = c.axis === 1 ? c.rows : c.cols;
  const out = new Float64Array(n).fill(c.op === 'sum' ? 0 : -Infinity);
  for (let r = 0; r < c.rows; r++) {
    for (let k = 0; k < c.cols; k++) {
      const v = x[r * c.cols + k] as number;
      const j = c.axis === 1 ? r : k;
      out[j] = c.op === 'sum' ? (out[j] as number) + v : Math.max(out[j] as number, v);
    }
  }
  return out;
}
