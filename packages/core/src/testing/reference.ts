/**
 * An independent float64 reference: plain row-major arrays with index arithmetic, written without any of core's or
 * a backend's kernel code, so a backend can be checked against it.
 */
export interface HostTensor {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    idx[a] = i % shape[a]!;
    i = Math.floor(i / shape[a]!);
  }
  return idx;
}

function ravel(idx: readonly number[], shape: readonly number[]): number {
  let i = 0;
  for (let a = 0; a < shape.length; a++) i = i * shape[a]! + idx[a]!;
  return i;
}

/** Builds a tensor by evaluating `f` at every multi-index. */
export function build(shape: readonly number[], f: (idx: number[]) => number): HostTensor {
  const n = size(shape);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = f(unravel(i, shape));
  return { shape: [...shape], data };
}

export function at(t: HostTensor, idx: readonly number[]): number {
  return t.data[ravel(idx, t.shape)]!;
}

/** NumPy broadcasting of shapes. */
export function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  return Array.from({ length: r }, (_, i) => {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    return x === 1 ? y : x;
  });
}

/** Reads `t` at an output index under broadcasting. */
export function atBroadcast(t: HostTensor, idx: readonly number[]): number {
  const lead = idx.length - t.shape.length;
  return at(t, t.shape.map((d, i) => (d === 1 ? 0 : idx[i + lead]!)));
}

export function map(ts: readonly HostTensor[], f: (...v: number[]) => number): HostTensor {
  const shape = ts.map((t) => t.shape).reduce((s, x) => broadcast(s, x), [] as number[]);
  return build(shape, (idx) => f(...ts.map((t) => atBroadcast(t, idx))));
}

export function permute(t: HostTensor, perm: readonly number[]): HostTensor {
  const shape = perm.map((p) => t.shape[p]!);
  return build(shape, (idx) => {
    const src = new Array<number>(t.shape.length);
    perm.forEach((p, i) => (src[p] = idx[i]!));
    return at(t, src);
  });
}

export function sliceRef(t: HostTensor, begin: readonly number[], sz: readonly number[]): HostTensor {
  return build(sz, (idx) => at(t, idx.map((v, i) => v + begin[i]!)));
}

export function expandRef(t: HostTensor, shape: readonly number[]): HostTensor {
  return build(shape, (idx) => atBroadcast(t, idx));
}

export function reduce(t: HostTensor, axes: readonly number[], kind: 'sum' | 'max'): HostTensor {
  const shape = t.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = build(shape, () => (kind === 'sum' ? 0 : -Infinity));
  for (let i = 0; i < t.data.length; i++) {
    const idx = unravel(i, t.shape).map((v, a) => (axes.includes(a) ? 0 : v));
    const o = ravel(idx, shape);
    const v = t.data[i]!;
    if (kind === 'sum') out.data[o]! += v;
    else if (Number.isNaN(v) || Number.isNaN(out.data[o]!)) out.data[o] = NaN;
    else out.data[o] = Math.max(out.data[o]!, v);
  }
  return out;
}

export function argmaxRef(t: HostTensor, axis: number): HostTensor {
  const shape = t.shape.map((d, i) => (i === axis ? 1 : d));
  return build(shape, (idx) => {
    let best = 0;
    for (let k = 0; k < t.shape[axis]!; k++) {
      const v = at(t, idx.map((x, i) => (i === axis ? k : x)));
      const b = at(t, idx.map((x, i) => (i === axis ? best : x)));
      if (Number.isNaN(v)) return k;
      if (v > b) best = k;
    }
    return best;
  });
}

export function matmulRef(a: HostTensor, b: HostTensor): HostTensor {
  const m = a.shape.at(-2)!;
  const k = a.shape.at(-1)!;
  const n = b.shape.at(-1)!;
  const batch = broadcast(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return build([...batch, m, n], (idx) => {
    const bi = idx.slice(0, -2);
    const [i, j] = idx.slice(-2) as [number, number];
    let s = 0;
    for (let kk = 0; kk < k; kk++) s += atBroadcast(a, [...bi, i, kk]) * atBroadcast(b, [...bi, kk, j]);
    return s;
  });
}

export function padRef(t: HostTensor, pads: readonly (readonly [number, number])[], value: number): HostTensor {
  const shape = t.shape.map((d, i) => d + pads[i]![0] + pads[i]![1]);
  return build(shape, (idx) => {
    const src = idx.map((v, i) => v - pads[i]![0]);
    return src.every((v, i) => v >= 0 && v < t.shape[i]!) ? at(t, src) : value;
  });
}

export function concatRef(ts: readonly HostTensor[], axis: number): HostTensor {
  const shape = [...ts[0]!.shape];
  shape[axis] = ts.reduce((s, t) => s + t.shape[axis]!, 0);
  return build(shape, (idx) => {
    let k = idx[axis]!;
    for (const t of ts) {
      if (k < t.shape[axis]!) return at(t, idx.map((v, i) => (i === axis ? k : v)));
      k -= t.shape[axis]!;
    }
    return NaN;
  });
}

export function gatherRef(x: HostTensor, idx: HostTensor, axis: number): HostTensor {
  const shape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
  return build(shape, (o) => {
    const pre = o.slice(0, axis);
    const ii = o.slice(axis, axis + idx.shape.length);
    const post = o.slice(axis + idx.shape.length);
    return at(x, [...pre, at(idx, ii), ...post]);
  });
}

export function scatterAddRef(idx: HostTensor, upd: HostTensor, shape: readonly number[], axis: number): HostTensor {
  const out = build(shape, () => 0);
  for (let i = 0; i < upd.data.length; i++) {
    const u = unravel(i, upd.shape);
    const pre = u.slice(0, axis);
    const ii = u.slice(axis, axis + idx.shape.length);
    const post = u.slice(axis + idx.shape.length);
    out.data[ravel([...pre, at(idx, ii), ...post], shape)]! += upd.data[i]!;
  }
  return out;
}

/** Round half to even, written independently of the backends' helper. */
export function rhe(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.round(x); // ties go up
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function fakeQuantRef(x: HostTensor, s: readonly number[], z: readonly number[], qmin: number, qmax: number, axis: number | null): HostTensor {
  const f = Math.fround;
  return build(x.shape, (idx) => {
    const g = axis === null ? 0 : idx[axis]!;
    const q = Math.min(Math.max(rhe(f(at(x, idx) / s[g]!)) + z[g]!, qmin), qmax);
    return f((q - z[g]!) * s[g]!);
  });
}

/** The lines of `shape` along `axis`: for each, the flat indices of its elements in order. */
function linesAlong(shape: readonly number[], axis: number): number[][] {
  const n = shape[axis]!;
  const inner = size(shape.slice(axis + 1));
  const outer = size(shape.slice(0, axis));
  const lines: number[][] = [];
  for (let o = 0; o < outer; o++) for (let q = 0; q < inner; q++) lines.push(Array.from({ length: n }, (_, j) => (o * n + j) * inner + q));
  return lines;
}

/** softmax along `axis` in float64; a line holding NaN or +Inf is all NaN. */
export function softmaxRef(x: HostTensor, axis: number): HostTensor {
  const out = new Float64Array(x.data.length);
  for (const line of linesAlong(x.shape, axis)) {
    const vals = line.map((i) => x.data[i]!);
    if (vals.some((v) => Number.isNaN(v) || v === Infinity) || vals.every((v) => v === -Infinity)) {
      line.forEach((i) => (out[i] = NaN));
      continue;
    }
    const m = Math.max(...vals);
    const e = vals.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    line.forEach((i, j) => (out[i] = e[j]! / s));
  }
  return { shape: [...x.shape], data: out };
}

/**
 * Layer normalization over the last axis in float64, and a per-element error scale for float32 kernels:
 * |x − mean|, |mean| and the row's largest |x| are all rounded before the division by σ, so the scale is
 * (max|x|·rstd)·|gamma| + |beta|.
 */
export function layerNormRef(x: HostTensor, gamma: readonly number[], beta: readonly number[], eps: number): { out: HostTensor; scale: Float64Array } {
  const d = x.shape[x.shape.length - 1]!;
  const out = new Float64Array(x.data.length);
  const scale = new Float64Array(x.data.length);
  for (let r = 0; r * d < x.data.length; r++) {
    const row = Array.from(x.data.subarray(r * d, (r + 1) * d));
    const mean = row.reduce((a, b) => a + b, 0) / d;
    const rstd = 1 / Math.sqrt(row.reduce((a, v) => a + (v - mean) ** 2, 0) / d + eps);
    const big = Math.max(...row.map(Math.abs));
    row.forEach((v, j) => {
      out[r * d + j] = (v - mean) * rstd * gamma[j]! + beta[j]!;
      scale[r * d + j] = big * rstd * Math.abs(gamma[j]!) + Math.abs(beta[j]!);
    });
  }
  return { out: { shape: [...x.shape], data: out }, scale };
}

const sigmoid64 = (v: number): number => 1 / (1 + Math.exp(-v));

/**
 * A whole LSTM layer in float64 (gates i, f, g, o): z = xProj[:, t] + h·Wh, c ← σ(z_f)·c + σ(z_i)·tanh(z_g),
 * h ← σ(z_o)·tanh(c). Inputs are row-major xProj [B, T, 4H], wh [H, 4H], h0 and c0 [B, H]; returns Y [B, T, 2, H]
 * with h_t at Y[:, t, 0] and c_t at Y[:, t, 1].
 */
export function lstmSequenceRef(xp: ArrayLike<number>, wh: ArrayLike<number>, h0: ArrayLike<number>, c0: ArrayLike<number>, b: number, steps: number, hidden: number): Float64Array {
  const h4 = 4 * hidden;
  const y = new Float64Array(b * steps * 2 * hidden);
  for (let r = 0; r < b; r++) {
    let h = Array.from({ length: hidden }, (_, j) => h0[r * hidden + j]!);
    const c = Array.from({ length: hidden }, (_, j) => c0[r * hidden + j]!);
    for (let s = 0; s < steps; s++) {
      const z = Array.from({ length: h4 }, (_, q) => {
        let v = xp[(r * steps + s) * h4 + q]!;
        for (let p = 0; p < hidden; p++) v += h[p]! * wh[p * h4 + q]!;
        return v;
      });
      const next = new Array<number>(hidden);
      for (let j = 0; j < hidden; j++) {
        c[j] = sigmoid64(z[hidden + j]!) * c[j]! + sigmoid64(z[j]!) * Math.tanh(z[2 * hidden + j]!);
        next[j] = sigmoid64(z[3 * hidden + j]!) * Math.tanh(c[j]!);
        y[((r * steps + s) * 2 + 0) * hidden + j] = next[j]!;
        y[((r * steps + s) * 2 + 1) * hidden + j] = c[j]!;
      }
      h = next;
    }
  }
  return y;
}

/** Central differences (step `eps`) of a float64 function of one flat input: the gradient of f at x. */
export function centralDifferences(f: (x: Float64Array) => number, x: ArrayLike<number>, eps = 1e-6): Float64Array {
  const at = Float64Array.from(x);
  return Float64Array.from(at, (v, i) => {
    at[i] = v + eps;
    const up = f(at);
    at[i] = v - eps;
    const down = f(at);
    at[i] = v;
    return (up - down) / (2 * eps);
  });
}

/**
 * `y = x·Wᵀ` in float64 for integer codes: W[r, p] = (code[r, p] − z[r, g])·s[r, g] with g = ⌊p / groupSize⌋ (⌈k /
 * groupSize⌉ groups per row, the last one possibly short), and the error scale Σ|x|·(|code| + |z|)·s of a float32
 * kernel that applies the zero-point separately.
 */
export function intRowsMatmulRef(x: ArrayLike<number>, m: number, code: (r: number, p: number) => number, n: number, k: number, groupSize: number, s: ArrayLike<number>, z?: ArrayLike<number>): { out: Float64Array; scale: Float64Array } {
  const groups = Math.ceil(k / groupSize);
  const out = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let r = 0; r < n; r++) {
      let acc = 0;
      let mag = 0;
      for (let p = 0; p < k; p++) {
        const g = r * groups + Math.floor(p / groupSize);
        const zero = z?.[g] ?? 0;
        acc += x[i * k + p]! * (code(r, p) - zero) * s[g]!;
        mag += Math.abs(x[i * k + p]!) * (Math.abs(code(r, p)) + Math.abs(zero)) * s[g]!;
      }
      out[i * n + r] = acc;
      scale[i * n + r] = mag;
    }
  return { out, scale };
}
