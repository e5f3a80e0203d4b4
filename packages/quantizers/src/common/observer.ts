import { fakeQuantValue, scaleAndZeroPoint, type UniformGrid } from './grid.ts';
import { groupsOf } from './host.ts';

/** Range estimators of spec §1.1. */
export type ObserverKind = 'minmax' | 'ema-minmax' | 'mse';

/** JSON state of a {@link RangeObserver}: per-group clipping ranges (binary grids: per-group α). */
export interface ObserverState {
  readonly lo: number[];
  readonly hi: number[];
  readonly alpha: number[];
}

/** Scales, zero-points and clip bounds [lo, hi] = [(q_min − z)s, (q_max − z)s] per group, as float32 values. */
export interface GridParams {
  readonly scale: Float32Array;
  readonly zeroPoint: Float32Array;
  readonly lo: Float32Array;
  readonly hi: Float32Array;
}

/** Candidate clipping ratios of the MSE search, widest first (ties keep the wider range). */
const MSE_RATIOS = Array.from({ length: 81 }, (_, i) => 1 - i * 0.01);

/**
 * Estimates per-group ranges from weights (spec §1.1): `minmax` takes the current range, `ema-minmax` an exponential
 * moving average of it, `mse` the clipping ratio of the min-max range with the least quantization error. Zero is
 * always inside the range. Binary grids (b = 1) estimate α = mean|x| (or max|x|) instead.
 */
export class RangeObserver {
  private state: ObserverState | undefined;

  constructor(
    private readonly grid: UniformGrid,
    private readonly granularity: 'tensor' | 'channel',
    private readonly kind: ObserverKind,
    private readonly options: { readonly momentum: number; readonly binaryScale: 'mean' | 'max' },
  ) {}

  get observed(): boolean {
    return this.state !== undefined;
  }

  /** Updates the ranges from finite weight values of `shape` (row-major). */
  observe(values: ArrayLike<number>, shape: readonly number[]): void {
    const { groups, groupLen } = groupsOf(shape, this.granularity);
    const lo: number[] = [];
    const hi: number[] = [];
    const alpha: number[] = [];
    for (let g = 0; g < groups; g++) {
      let mn = 0;
      let mx = 0;
      let absSum = 0;
      let absMax = 0;
      for (let i = g * groupLen; i < (g + 1) * groupLen; i++) {
        const v = values[i]!;
        if (v < mn) mn = v;
        if (v > mx) mx = v;
        const a = Math.abs(v);
        absSum += a;
        if (a > absMax) absMax = a;
      }
      if (this.kind === 'mse' && this.grid.kind !== 'binary') [mn, mx] = this.mseRange(values, g * groupLen, groupLen, mn, mx);
      lo.push(Math.fround(mn));
      hi.push(Math.fround(mx));
      alpha.push(Math.fround(this.options.binaryScale === 'max' ? absMax : groupLen === 0 ? 0 : absSum / groupLen));
    }
    const prev = this.state;
    if (this.kind === 'ema-minmax' && prev && prev.lo.length === groups) {
      const m = this.options.momentum;
      const mix = (a: readonly number[], b: readonly number[]) => a.map((v, i) => Math.fround(m * v + (1 - m) * b[i]!));
      this.state = { lo: mix(prev.lo, lo), hi: mix(prev.hi, hi), alpha: mix(prev.alpha, alpha) };
    } else {
      this.state = { lo, hi, alpha };
    }
  }

  /** Scales, zero-points and clip bounds of the current ranges. Call {@link observe} first. */
  params(): GridParams {
    const st = this.state!;
    const n = st.lo.length;
    const out = { scale: new Float32Array(n), zeroPoint: new Float32Array(n), lo: new Float32Array(n), hi: new Float32Array(n) };
    for (let g = 0; g < n; g++) {
      if (this.grid.kind === 'binary') {
        const a = st.alpha[g]!;
        out.scale[g] = a;
        out.lo[g] = -a;
        out.hi[g] = a;
        continue;
      }
      const { scale, zeroPoint } = scaleAndZeroPoint(this.grid, st.lo[g]!, st.hi[g]!);
      out.scale[g] = scale;
      out.zeroPoint[g] = zeroPoint;
      out.lo[g] = Math.fround((this.grid.qmin - zeroPoint) * scale);
      out.hi[g] = Math.fround((this.grid.qmax - zeroPoint) * scale);
    }
    return out;
  }

  getState(): ObserverState | null {
    return this.state ? { lo: [...this.state.lo], hi: [...this.state.hi], alpha: [...this.state.alpha] } : null;
  }

  setState(s: ObserverState | null): void {
    this.state = s ? { lo: [...s.lo], hi: [...s.hi], alpha: [...s.alpha] } : undefined;
  }

  private mseRange(values: ArrayLike<number>, start: number, len: number, mn: number, mx: number): [number, number] {
    let best: [number, number] = [mn, mx];
    let bestErr = Infinity;
    for (const r of MSE_RATIOS) {
      const lo = Math.fround(mn * r);
      const hi = Math.fround(mx * r);
      const { scale, zeroPoint } = scaleAndZeroPoint(this.grid, lo, hi);
      let err = 0;
      for (let i = start; i < start + len; i++) {
        const v = values[i]!;
        const d = fakeQuantValue(v, scale, zeroPoint, this.grid.qmin, this.grid.qmax) - v;
        err += d * d;
      }
      if (err < bestErr) {
        bestErr = err;
        best = [lo, hi];
      }
    }
    return best;
  }
}
