import { valueAndGrad } from '../autograd/api.ts';
import { noGrad } from '../autograd/tape.ts';
import { scope } from '../memory/scope.ts';
import { fromHost } from '../ops/create.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { Tensor } from '../tensor.ts';

/** One input of a gradient check: its shape and values. */
export interface GradcheckInput {
  readonly shape: readonly number[];
  readonly values: ArrayLike<number>;
}

/** Options of {@link gradcheck}. */
export interface GradcheckOptions {
  /** Runtime computing the analytic gradient (float32, the backend under test). */
  readonly runtime: Runtime;
  /** Runtime evaluating the function in float64 for central differences (e.g. the cpu64 backend). */
  readonly reference: Runtime;
  /** Finite-difference step (default 1e-6). */
  readonly h?: number;
  readonly rtol?: number;
  readonly atol?: number;
}

/** Outcome of a gradient check: the worst element and a message when it failed. */
export interface GradcheckResult {
  readonly ok: boolean;
  readonly maxError: number;
  readonly message?: string;
}

/**
 * Compares the autograd gradient of a scalar function (float32, on `runtime`) with central differences of the same
 * function evaluated in float64 (on `reference`). The function must be built from nibble ops only.
 *
 * @example
 * ```ts
 * const r = gradcheck((x) => x.tanh().sum(), [{ shape: [3], values: [0.1, -0.4, 2] }], { runtime, reference });
 * expect(r.ok, r.message).toBe(true);
 * ```
 */
export function gradcheck(f: (...xs: Tensor[]) => Tensor, inputs: readonly GradcheckInput[], options: GradcheckOptions): GradcheckResult {
  const { runtime, reference } = options;
  const h = options.h ?? 1e-6;
  const rtol = options.rtol ?? 2e-3;
  const atol = options.atol ?? 1e-4;
  const analytic = scope(() => {
    const xs = inputs.map((i) => fromHost(runtime, runtime.backend(), 'float32', i.shape, Float32Array.from(i.values)));
    const { value, grads } = valueAndGrad((...ts: Tensor[]) => f(...ts))(...xs);
    value.dispose();
    return grads.map((g) => Float64Array.from(g.dataSync()));
  });
  const evalAt = (vals: Float64Array[]): number =>
    noGrad(() =>
      scope(() => {
        const xs = inputs.map((i, k) => fromHost(reference, reference.backend(), 'float32', i.shape, vals[k]!));
        const out = f(...xs);
        return out.hostValuesSync()[0]!;
      }),
    );
  const base = inputs.map((i) => Float64Array.from(i.values, (v) => Math.fround(v)));
  let maxError = 0;
  for (let k = 0; k < inputs.length; k++) {
    for (let j = 0; j < base[k]!.length; j++) {
      const x = base[k]![j]!;
      base[k]![j] = x + h;
      const fp = evalAt(base);
      base[k]![j] = x - h;
      const fm = evalAt(base);
      base[k]![j] = x;
      const numeric = (fp - fm) / (2 * h);
      const got = analytic[k]![j]!;
      const err = Math.abs(got - numeric) / (atol + rtol * Math.max(Math.abs(numeric), Math.abs(got)));
      maxError = Math.max(maxError, err);
      if (!(err <= 1)) {
        return { ok: false, maxError: err, message: `gradcheck: input ${k} element ${j} (x = ${x}): autograd ${got}, central difference ${numeric}` };
      }
    }
  }
  return { ok: true, maxError };
}
