import { defaultRuntime, noGrad, type Runtime, type Tensor, tensor, valueAndGrad } from '@nibble/core';
import { gradcheck } from '@nibble/core/testing';
import { payloadBits, QuantizerCalibrationError, type Quantizer, type QuantizerForwardContext, type QuantizerPlugin } from '@nibble/quantizers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbWeight, specTensor, type TensorSpec } from './arbitraries.ts';
import { dequantize } from './dequantize.ts';

/** Gradient rule a plugin promises (spec §1.2, §2.3), checked against an independent computation. */
export type GradientRule = 'ste-identity' | 'ste-clipped' | 'lsq-surrogate' | 'finite-difference' | 'none';

/** LSQ surrogate check settings (spec §2.3): the code range and g_s the plugin uses. */
export interface LsqSurrogateOptions {
  /** Name of the step parameter in `parameters()` (default 'step'). */
  readonly parameter?: string;
  readonly qn: (bits: number) => number;
  readonly qp: (bits: number) => number;
  /** g_s for a weight of `shape` (spec: 1/√(N·Q_P)). */
  readonly gradScale: (shape: readonly number[], bits: number) => number;
}

/** What a plugin declares about itself; each declaration turns on the invariants that follow from it. */
export interface QuantizerConformanceOptions {
  /** Suite title (default: the plugin id). */
  readonly name?: string;
  /** Raw config for a bit width (or for the plugin's only setting when `bits` is absent). */
  readonly config: (bits: number) => unknown;
  /** Bit widths to test (default [8]); `config(0)` and `config(9)` must be rejected when given. */
  readonly bits?: readonly number[];
  /** 'uniform' (s·(q − z) grid), 'binary' (±α), 'codebook' (PQ) or 'none' (noise that keeps floats). */
  readonly grid: 'uniform' | 'binary' | 'codebook' | 'none';
  /**
   * q(q(x)) = q(x) bitwise in eval mode (default true when there is a grid). Set false for quantizers whose scale is
   * recomputed from the weights at every forward (RAND with finite p: ‖q(x)‖_p ≠ ‖x‖_p moves the grid).
   */
  readonly idempotent?: boolean;
  /**
   * Fresh min-max calibration (spec §1.4.3): the half-step error bound then holds for every x, not only inside the
   * exported clip range (catches grids that do not cover the data, e.g. a wrong zero-point sign).
   */
  readonly minmaxCalibrated?: boolean;
  /** q(−x) = −q(x) after recalibration (spec §1.4.5). */
  readonly symmetric?: boolean;
  readonly gradient: GradientRule;
  /** Training forward draws from `ctx.key`: same key → same output, another step → another output. */
  readonly stochastic?: boolean;
  /** `export` works: dequantize(export(w)) equals the eval forward bitwise (§1.4.8), size formula vs payload (§8). */
  readonly exportable?: boolean;
  /** Noise plugins: the config at rate p; p = 0 must be the identity; at p = 1 'eval' (equals eval forward) or 'rejected'. */
  readonly noise?: { readonly config: (p: number) => unknown; readonly atOne: 'eval' | 'rejected' | 'unchecked' };
  /** Weight shapes [rows, cols] (default [[4, 8], [3, 16]]). */
  readonly shapes?: readonly (readonly [number, number])[];
  /** Configs that must be rejected by `parseConfig` or `create`, with the field the error must name. */
  readonly badConfigs?: readonly { readonly config: unknown; readonly field: string }[];
  /** Runtime of the tensors (default `defaultRuntime`; register a backend first). */
  readonly runtime?: Runtime;
  /** float64 runtime for 'lsq-surrogate' and 'finite-difference' (e.g. cpuFactory({ precision: 'float64' })). */
  readonly reference?: Runtime;
  readonly lsq?: LsqSurrogateOptions;
  /** fast-check runs per property (default 20). */
  readonly numRuns?: number;
}

const key = (counter: number) => ({ seed: 11, stream: 5, counter });
const train = (step = 0): QuantizerForwardContext => ({ training: true, step, epoch: 0, key: key(step * 4096) });
const evaluate = (step = 0): QuantizerForwardContext => ({ training: false, step, epoch: 0, key: key(step * 4096) });

interface Harness {
  readonly plugin: QuantizerPlugin<unknown>;
  readonly runtime: Runtime;
  create(bits: number, shape: readonly number[], runtime?: Runtime): Quantizer;
  forward(q: Quantizer, w: Tensor, ctx: QuantizerForwardContext): Float32Array;
}

function harness(plugin: QuantizerPlugin<unknown>, options: QuantizerConformanceOptions): Harness {
  const runtime = options.runtime ?? defaultRuntime;
  return {
    plugin,
    runtime,
    create: (bits, shape, rt = runtime) => plugin.create(plugin.parseConfig(options.config(bits)), { shape, role: 'weight', runtime: rt }),
    forward: (q, w, ctx) =>
      noGrad(() => {
        const out = q.forward(w, ctx);
        const v = Float32Array.from(out.dataSync());
        out.dispose();
        return v;
      }),
  };
}

/** Runs `fn` with a quantizer and the spec's tensor, disposing both. */
function withCase<T>(h: Harness, bits: number, spec: TensorSpec, fn: (q: Quantizer, w: Tensor) => T): T {
  const w = specTensor(spec, h.runtime);
  const q = h.create(bits, spec.shape);
  try {
    return fn(q, w);
  } finally {
    q[Symbol.dispose]();
    w.dispose();
  }
}

function bitsEq(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && !(a[i] === 0 && b[i] === 0)) return false;
  return true;
}

function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): string {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `index ${i}: ${a[i]} vs ${b[i]}`;
  return `lengths ${a.length} vs ${b.length}`;
}

/** Per-element grid parameters read from an export: scale, zero-point and [qmin, qmax]. */
function gridOf(q: Quantizer, w: Tensor): { group: (i: number) => number; scale: (i: number) => number; zero: (i: number) => number; qmin: number; qmax: number; binary: boolean } {
  const p = q.export(w);
  if (p.layout.kind !== 'int') throw new Error(`conformance: grid 'uniform' needs int exports; got layout '${p.layout.kind}'`);
  const cols = p.layout.shape[1];
  const g = (i: number) => (p.tables.length === 1 ? 0 : Math.floor(i / cols));
  const qmin = Number(p.meta.qmin);
  const qmax = Number(p.meta.qmax);
  const binary = p.meta.grid === 'binary';
  if (binary) {
    // ±α stored as (c − ½)·2α: on the grid α·{−1, +1}.
    return { group: g, scale: (i) => p.tables[g(i)]! / 2, zero: () => 0, qmin: -1, qmax: 1, binary };
  }
  return { group: g, scale: (i) => p.tables[g(i)]!, zero: (i) => (p.zeroPoints ? p.zeroPoints[p.zeroPoints.length === 1 ? 0 : g(i)]! : 0), qmin, qmax, binary };
}

/**
 * Registers a vitest suite that checks a quantizer plugin against every spec invariant its declarations imply
 * (on-grid, error bound, idempotence, monotonicity, symmetry, gradient rules, noise limits, state and export round
 * trips, size, no leaked tensors, config validation). Each test is named after its spec section.
 *
 * @example
 * ```ts
 * describeQuantizerConformance(myPlugin, {
 *   config: (bits) => ({ bits }), bits: [2, 4, 8], grid: 'uniform', symmetric: true,
 *   gradient: 'ste-identity', exportable: true,
 * });
 * ```
 */
export function describeQuantizerConformance<C>(plugin: QuantizerPlugin<C>, options: QuantizerConformanceOptions): void {
  const h = harness(plugin as QuantizerPlugin<unknown>, options);
  const bitsList = options.bits ?? [8];
  const shapes = options.shapes ?? [[4, 8], [3, 16]];
  const numRuns = options.numRuns ?? 20;
  const arbCase = fc.tuple(fc.constantFrom(...shapes), fc.constantFrom(...bitsList)).chain(([shape, bits]) => arbWeight(shape).map((spec) => ({ spec, bits })));
  const prop = (f: (c: { spec: TensorSpec; bits: number }) => void) => fc.assert(fc.property(arbCase, f), { numRuns });

  describe(`${options.name ?? plugin.id}: quantizer conformance`, () => {
    it('§0 plugin shape: id, apiVersion 1, parseConfig and create', () => {
      expect(typeof plugin.id).toBe('string');
      expect(plugin.apiVersion).toBe(1);
      const q = h.create(bitsList[0]!, shapes[0]!);
      for (const m of ['forward', 'parameters', 'assign', 'getState', 'setState', 'calibrate', 'export', 'sizeBits'] as const) expect(typeof q[m]).toBe('function');
      q[Symbol.dispose]();
    });

    it('§0 bad configs are rejected at creation, naming the field', () => {
      const bad = [...(options.badConfigs ?? [])];
      if (options.bits) bad.push({ config: options.config(0), field: 'bits' }, { config: options.config(9), field: 'bits' });
      expect(bad.length, 'declare badConfigs (or bits) so rejection is tested').toBeGreaterThan(0);
      for (const { config, field } of bad) {
        let error: unknown;
        try {
          plugin.create(plugin.parseConfig(config), { shape: shapes[0]!, role: 'weight', runtime: h.runtime })[Symbol.dispose]();
        } catch (e) {
          error = e;
        }
        expect(error, `config ${JSON.stringify(config)} was accepted`).toBeInstanceOf(Error);
        expect((error as Error).message).toContain(field);
      }
    });

    it('§0 pure function of (w, state, ctx): the weight tensor is never mutated', () => {
      prop(({ spec, bits }) =>
        withCase(h, bits, spec, (q, w) => {
          h.forward(q, w, train(0));
          h.forward(q, w, evaluate(0));
          expect(bitsEq(w.dataSync(), spec.values)).toBe(true);
        }),
      );
    });

    it('§0 no leaked tensors over create, forward, backward, export and dispose', () => {
      const spec = { shape: shapes[0]!, values: Float32Array.from({ length: shapes[0]![0] * shapes[0]![1] }, (_, i) => Math.sin(i + 1) * (1 + (i % 3))) };
      const w = specTensor(spec, h.runtime);
      const before = h.runtime.memory();
      const q = h.create(bitsList[0]!, spec.shape);
      const params = Object.values(q.parameters());
      const { value, grads } = valueAndGrad((x: Tensor, ...ps: Tensor[]) => {
        void ps;
        return q.forward(x, train(0)).square().sum();
      })(w, ...params);
      value.dispose();
      for (const g of grads) g.dispose();
      h.forward(q, w, evaluate(0));
      if (options.exportable) q.export(w);
      q.getState();
      q[Symbol.dispose]();
      expect(h.runtime.memory()).toEqual(before);
      w.dispose();
    });

    it('§0 state round trip: getState → JSON → setState gives the same eval forward', () => {
      prop(({ spec, bits }) =>
        withCase(h, bits, spec, (q, w) => {
          h.forward(q, w, train(0));
          const expected = h.forward(q, w, evaluate(0));
          const state = JSON.parse(JSON.stringify(q.getState()));
          const q2 = h.create(bits, spec.shape);
          try {
            q2.setState(state);
            const got = h.forward(q2, w, evaluate(0));
            expect(bitsEq(got, expected), firstDiff(got, expected)).toBe(true);
          } finally {
            q2[Symbol.dispose]();
          }
        }),
      );
    });

    if (options.grid !== 'none') {
      it('§1.5 NaN / ±Inf weights: calibrate throws a QuantizerCalibrationError and leaves the quantizer as it was', () => {
        const shape = shapes[0]!;
        const n = shape[0] * shape[1];
        const good = { shape, values: Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i + 1) * (1 + (i % 3)))) };
        for (const bad of [NaN, Infinity, -Infinity]) {
          withCase(h, bitsList[0]!, good, (q, w) => {
            q.calibrate(w);
            const before = JSON.stringify(q.getState());
            const expected = h.forward(q, w, evaluate(0));
            const values = good.values.slice();
            values[n - 2] = bad;
            const poisoned = specTensor({ shape, values }, h.runtime);
            let error: unknown;
            try {
              q.calibrate(poisoned);
            } catch (e) {
              error = e;
            } finally {
              poisoned.dispose();
            }
            expect(error, `calibrate accepted a weight holding ${bad}`).toBeInstanceOf(QuantizerCalibrationError);
            expect(JSON.stringify(q.getState())).toBe(before);
            const got = h.forward(q, w, evaluate(0));
            expect(bitsEq(got, expected), firstDiff(got, expected)).toBe(true);
          });
        }
      });
    }

    if (options.grid === 'uniform' || options.grid === 'binary') {
      it('§1.4.2 on-grid: x̂/s + z is an integer in [q_min, q_max]; at most 2^b levels per group', () => {
        prop(({ spec, bits }) =>
          withCase(h, bits, spec, (q, w) => {
            const out = h.forward(q, w, evaluate(0));
            const g = gridOf(q, w);
            const levels = new Map<number, Set<number>>();
            for (let i = 0; i < out.length; i++) {
              const k = out[i]! / g.scale(i) + g.zero(i);
              expect(Math.abs(k - Math.round(k)), `element ${i}: ${out[i]} / ${g.scale(i)} + ${g.zero(i)}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(k)));
              expect(Math.round(k)).toBeGreaterThanOrEqual(g.qmin);
              expect(Math.round(k)).toBeLessThanOrEqual(g.qmax);
              const grp = g.group(i);
              if (!levels.has(grp)) levels.set(grp, new Set());
              levels.get(grp)!.add(out[i]!);
            }
            for (const set of levels.values()) expect(set.size).toBeLessThanOrEqual(g.binary ? 2 : 2 ** bits);
          }),
        );
      });
    }

    if (options.grid === 'uniform') {
      it(options.minmaxCalibrated ? '§1.4.3 error bound: |x̂ − x| ≤ s/2 for every x (fresh min-max range)' : '§1.4.3 error bound: |x̂ − x| ≤ s/2 for x in [lo, hi]', () => {
        prop(({ spec, bits }) =>
          withCase(h, bits, spec, (q, w) => {
            const out = h.forward(q, w, evaluate(0));
            const g = gridOf(q, w);
            for (let i = 0; i < out.length; i++) {
              const s = g.scale(i);
              const lo = (g.qmin - g.zero(i)) * s;
              const hi = (g.qmax - g.zero(i)) * s;
              const x = spec.values[i]!;
              if (options.minmaxCalibrated || (x >= lo && x <= hi)) expect(Math.abs(out[i]! - x), `x = ${x}, s = ${s}`).toBeLessThanOrEqual((s / 2) * (1 + 1e-6) + Math.abs(x) * 2 ** -23);
            }
          }),
        );
      });

      it('§1.4.4 q(0) = 0 exactly and q is monotone non-decreasing within each group', () => {
        prop(({ spec, bits }) => {
          const values = spec.values.map((v, i) => (i % 5 === 0 ? 0 : v));
          withCase(h, bits, { shape: spec.shape, values }, (q, w) => {
            const out = h.forward(q, w, evaluate(0));
            const g = gridOf(q, w);
            values.forEach((v, i) => {
              if (v === 0) expect(out[i]).toBe(0);
            });
            const idx = [...values.keys()].sort((a, b) => g.group(a) - g.group(b) || values[a]! - values[b]!);
            for (let j = 1; j < idx.length; j++) {
              const a = idx[j - 1]!;
              const b = idx[j]!;
              if (g.group(a) === g.group(b) && values[a]! <= values[b]!) expect(out[a]!).toBeLessThanOrEqual(out[b]!);
            }
          });
        });
      });
    }

    if (options.grid !== 'none' && options.idempotent !== false) {
      it('§1.4.1 idempotence with frozen parameters: q(q(x)) = q(x) bitwise', () => {
        prop(({ spec, bits }) =>
          withCase(h, bits, spec, (q, w) => {
            h.forward(q, w, train(0));
            const once = h.forward(q, w, evaluate(0));
            const qw = specTensor({ shape: spec.shape, values: once }, h.runtime);
            const twice = h.forward(q, qw, evaluate(0));
            qw.dispose();
            expect(bitsEq(twice, once), firstDiff(twice, once)).toBe(true);
          }),
        );
      });
    }

    if (options.symmetric) {
      it('§1.4.5 symmetry: recalibrated q(−x) = −q(x)', () => {
        prop(({ spec, bits }) => {
          const nonzero = spec.values.map((v) => (v === 0 ? 1 : v));
          const pos = withCase(h, bits, { shape: spec.shape, values: nonzero }, (q, w) => h.forward(q, w, evaluate(0)));
          const neg = withCase(h, bits, { shape: spec.shape, values: nonzero.map((v) => -v) }, (q, w) => h.forward(q, w, evaluate(0)));
          const flipped = neg.map((v) => -v);
          expect(bitsEq(flipped, pos), firstDiff(flipped, pos)).toBe(true);
        });
      });
    }

    if (options.gradient === 'ste-identity' || options.gradient === 'ste-clipped') {
      const title = options.gradient === 'ste-identity' ? '§1.2 STE gradient (identity): ∂L/∂w = g everywhere' : '§1.4.7 STE gradient (clipped): g inside [lo, hi], 0 outside';
      it(title, () => {
        prop(({ spec, bits }) =>
          withCase(h, bits, spec, (q, w) => {
            const gHost = Float32Array.from(spec.values, (_, i) => Math.fround(((i * 7919) % 13) / 7 - 0.9));
            const g = tensor(gHost, { shape: spec.shape, runtime: h.runtime });
            h.forward(q, w, train(0)); // calibrate at step 0 so the export below shows the same grid
            const { value, grads } = valueAndGrad((x: Tensor) => q.forward(x, train(0)).mul(g).sum())(w);
            const got = grads[0].dataSync();
            value.dispose();
            grads[0].dispose();
            g.dispose();
            let expected = gHost;
            if (options.gradient === 'ste-clipped') {
              const grid = gridOf(q, w);
              expected = gHost.map((gi, i) => {
                const s = grid.scale(i);
                const lo = Math.fround((grid.qmin - grid.zero(i)) * s);
                const hi = Math.fround((grid.qmax - grid.zero(i)) * s);
                const x = spec.values[i]!;
                return x >= lo && x <= hi ? gi : 0;
              });
            }
            expect(bitsEq(got, expected), firstDiff(got, expected)).toBe(true);
          }),
        );
      });
    }

    if (options.gradient === 'lsq-surrogate') {
      it('§2.3 LSQ step gradient equals the surrogate s·(clip(v/s) + r₀) central difference (float64), input gradient g·1[inside]', () => {
        const ref = options.reference;
        const lsq = options.lsq;
        expect(ref, "'lsq-surrogate' needs options.reference (a float64 runtime)").toBeDefined();
        expect(lsq, "'lsq-surrogate' needs options.lsq").toBeDefined();
        prop(({ spec, bits }) => {
          const q = h.create(bits, spec.shape, ref);
          const w = specTensor(spec, ref);
          const gHost = Float64Array.from(spec.values, (_, i) => Math.fround(((i * 7919) % 13) / 7 - 0.9));
          const g = tensor(Float32Array.from(gHost), { shape: spec.shape, runtime: ref! });
          try {
            q.calibrate(w);
            const name = lsq!.parameter ?? 'step';
            const step = q.parameters()[name]!;
            const s0 = step.hostValuesSync()[0]!;
            const { value, grads } = valueAndGrad((x: Tensor, s: Tensor) => q.forward(x, train(0)).mul(g).sum())(w, step);
            const gw = grads[0].hostValuesSync();
            const gs = grads[1].hostValuesSync()[0]!;
            value.dispose();
            grads[0].dispose();
            grads[1].dispose();
            const qn = lsq!.qn(bits);
            const qp = lsq!.qp(bits);
            const clip = (u: number) => Math.min(Math.max(u, -qn), qp);
            const v = Float64Array.from(spec.values);
            const rhe = (x: number) => {
              const r = Math.round(x);
              return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
            };
            const r0 = v.map((x) => rhe(clip(x / s0)) - clip(x / s0));
            const surrogate = (s: number) => v.reduce((a, x, i) => a + gHost[i]! * s * (clip(x / s) + r0[i]!), 0);
            // The surrogate is linear in s between its kinks s = v/Q_P and s = −v/Q_N: keep the central difference
            // on one side of every kink (cases within 1e-8·s of a kink are skipped: their difference is ill-conditioned).
            const kinkDistance = v.reduce((m, x) => Math.min(m, qp > 0 ? Math.abs(s0 - x / qp) : Infinity, qn > 0 ? Math.abs(s0 + x / qn) : Infinity), Infinity);
            if (kinkDistance < 1e-8 * s0) return;
            const hStep = Math.min(s0 * 1e-6, kinkDistance / 2);
            const fd = (surrogate(s0 + hStep) - surrogate(s0 - hStep)) / (2 * hStep);
            const expected = lsq!.gradScale(spec.shape, bits) * fd;
            expect(Math.abs(gs - expected), `∂L/∂s = ${gs}, surrogate ${expected}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected)));
            v.forEach((x, i) => {
              const u = x / s0;
              const want = u > -qn && u < qp ? gHost[i]! : 0;
              expect(gw[i] === want, `∂L/∂v[${i}] = ${gw[i]}, expected ${want} (v/s = ${u})`).toBe(true);
            });
          } finally {
            g.dispose();
            w.dispose();
            q[Symbol.dispose]();
          }
        });
      });
    }

    if (options.gradient === 'finite-difference') {
      it('§5.3 gradient matches float64 central differences (fixed key, training forward)', () => {
        const ref = options.reference;
        expect(ref, "'finite-difference' needs options.reference (a float64 runtime)").toBeDefined();
        prop(({ spec, bits }) => {
          const q = h.create(bits, spec.shape);
          const gHost = Float32Array.from(spec.values, (_, i) => Math.fround(((i * 7919) % 13) / 7 - 0.9));
          try {
            const f = (x: Tensor) => {
              const g = tensor(gHost, { shape: spec.shape, runtime: x.runtime });
              return q.forward(x, train(0)).mul(g).sum();
            };
            // values kept away from 0 and from ties of max|w| so the function is smooth around them
            const values = spec.values.map((v, i) => Math.fround((Math.abs(v) + 0.5 + i * 1e-2) * (v < 0 ? -1 : 1)));
            const r = gradcheck(f, [{ shape: spec.shape, values }], { runtime: h.runtime, reference: ref!, h: 1e-5, rtol: 5e-3, atol: 1e-3 });
            expect(r.ok, r.message).toBe(true);
          } finally {
            q[Symbol.dispose]();
          }
        });
      });
    }

    if (options.stochastic) {
      it('§3.5 reproducible with a fixed key; another step draws another mask', () => {
        prop(({ spec, bits }) =>
          withCase(h, bits, spec, (q, w) => {
            const a = h.forward(q, w, train(0));
            const b = h.forward(q, w, train(0));
            expect(bitsEq(a, b)).toBe(true);
          }),
        );
        const n = 64 * 32;
        const spec = { shape: [64, 32] as const, values: Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3) };
        withCase(h, bitsList[0]!, spec, (q, w) => {
          const a = h.forward(q, w, train(0));
          const b = h.forward(q, w, train(1));
          expect(bitsEq(a, b)).toBe(false);
        });
      });
    }

    if (options.noise) {
      const noise = options.noise;
      const createAt = (p: number, shape: readonly number[]) => plugin.create(plugin.parseConfig(noise.config(p)), { shape, role: 'weight', runtime: h.runtime });
      it('§3.5 p = 0 is the identity, bitwise (values and gradient)', () => {
        prop(({ spec }) => {
          const q = createAt(0, spec.shape);
          const w = specTensor(spec, h.runtime);
          const { value, grads } = valueAndGrad((x: Tensor) => {
            const y = q.forward(x, train(0));
            expect(bitsEq(y.dataSync(), spec.values)).toBe(true);
            return y.sum();
          })(w);
          expect(Array.from(grads[0].dataSync()).every((v) => v === 1)).toBe(true);
          value.dispose();
          grads[0].dispose();
          w.dispose();
          q[Symbol.dispose]();
        });
      });
      if (noise.atOne === 'eval') {
        it('§3.5 p = 1 equals the fully quantized (eval) forward, bitwise', () => {
          prop(({ spec }) => {
            const q = createAt(1, spec.shape);
            const w = specTensor(spec, h.runtime);
            const trained = h.forward(q, w, train(0));
            const evaluated = h.forward(q, w, evaluate(0));
            expect(bitsEq(trained, evaluated), firstDiff(trained, evaluated)).toBe(true);
            w.dispose();
            q[Symbol.dispose]();
          });
        });
      } else if (noise.atOne === 'rejected') {
        it('§3.5 p ≥ 1 is rejected', () => {
          expect(() => plugin.parseConfig(noise.config(1))).toThrow(/\bp\b/);
        });
      }
    }

    if (options.exportable) {
      it('§1.4.8 export round trip: dequantize(export(w)) equals the eval forward bitwise', () => {
        prop(({ spec, bits }) =>
          withCase(h, bits, spec, (q, w) => {
            h.forward(q, w, train(0));
            const expected = h.forward(q, w, evaluate(0));
            const packed = q.export(w);
            expect(packed.shape).toEqual([...spec.shape]);
            const got = dequantize(packed);
            expect(bitsEq(got, expected), firstDiff(got, expected)).toBe(true);
          }),
        );
      });

      it('§8 size: sizeBits equals the payload when the container is exact, and never exceeds it', () => {
        prop(({ spec, bits }) =>
          withCase(h, bits, spec, (q, w) => {
            h.forward(q, w, train(0));
            const packed = q.export(w);
            const size = q.sizeBits(spec.shape);
            const payload = payloadBits(packed);
            const cols = packed.layout.shape[1];
            const exact = packed.layout.kind === 'int' ? packed.layout.bits === packed.bits && (cols * packed.bits) % 8 === 0 : packed.bits === 8;
            if (exact) expect(size).toBe(payload);
            else expect(size).toBeLessThanOrEqual(payload);
          }),
        );
      });
    }
  });
}
