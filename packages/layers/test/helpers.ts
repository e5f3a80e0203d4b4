import { readFileSync } from 'node:fs';
import { cpu, cpuFactory } from '@nibble/backend-cpu';
import { createRuntime, defaultRuntime, type Runtime, scope, type Tensor, tensor, tensorLike } from '@nibble/core';
import { gradcheck, type GradcheckInput } from '@nibble/core/testing';
import { expect } from 'vitest';
import type { Module } from '../src/module.ts';

/** Registers the CPU backend on the default runtime once per test file. */
export function useCpu(): void {
  if (!defaultRuntime.registered().includes('cpu')) defaultRuntime.register(cpu);
}

let reference: Runtime | undefined;
/** The float64 reference runtime (cpu64) for central differences. */
export function float64Runtime(): Runtime {
  reference ??= createRuntime({ backends: [cpuFactory({ precision: 'float64' })] });
  return reference;
}

/** A fixture array: shape and row-major values. */
export interface Encoded {
  shape: number[];
  data: number[];
}

export function fromEncoded(e: Encoded, runtime?: Runtime): Tensor {
  return tensor(Float32Array.from(e.data), runtime ? { shape: e.shape, runtime } : { shape: e.shape });
}

/** Fails with the first element outside |a − e| ≤ atol + rtol·|e|. */
export function expectClose(actual: Tensor | ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-5, atol = 1e-6, what = ''): void {
  const got = 'dataSync' in actual ? actual.hostValuesSync() : actual;
  expect(got.length, `${what}: length`).toBe(expected.length);
  let worst = 0;
  let where = -1;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const err = Math.abs(got[i]! - e) / (atol + rtol * Math.abs(e));
    if (!(err <= worst)) {
      worst = err;
      where = i;
    }
  }
  expect(worst, `${what}: element ${where}: got ${got[where]}, expected ${expected[where]} (rtol ${rtol}, atol ${atol})`).toBeLessThanOrEqual(1);
}

/** Loads fixture parameters into a module (strict: the names must map 1:1). */
export function loadParams(m: Module, params: Record<string, Encoded>): void {
  scope(() => m.loadStateDict(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, fromEncoded(v)]))));
}

export function readJson<T>(relative: string): T {
  return JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as T;
}

/** Deterministic pseudo-random values in [−1, 1) (test data only). */
export function pseudoRandom(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.fround((s / 2 ** 32) * 2 - 1);
  });
}

/**
 * Gradient check of a module: the loss `Σ forward(inputs) · r` (r fixed pseudo-random) is differentiated by autograd
 * in float32 with respect to every parameter and every float input, and compared with central differences in
 * float64 (a twin module on the cpu64 runtime; parameters are injected through weight transforms).
 */
export function checkModuleGradients<M extends Module>(
  make: (runtime: Runtime) => M,
  forward: (m: M, inputs: Tensor[]) => Tensor,
  inputs: readonly GradcheckInput[],
  options: { rtol?: number; atol?: number; prepare?: (m: M) => void } = {},
): void {
  const rt = defaultRuntime;
  const ref = float64Runtime();
  const modules = new Map<Runtime, M>([
    [rt, make(rt)],
    [ref, make(ref)],
  ]);
  for (const m of modules.values()) options.prepare?.(m);
  const base = modules.get(rt)!;
  const names = [...base.namedParameters().keys()];
  const params: GradcheckInput[] = names.map((n) => {
    const p = base.namedParameters().get(n)!;
    return { shape: p.shape, values: p.hostValuesSync() };
  });
  let weights: Float32Array | undefined;
  const f = (...xs: Tensor[]): Tensor => {
    const m = modules.get(xs[0]!.runtime)!;
    names.forEach((n, k) => m.setWeightTransform(n, () => xs[inputs.length + k]!));
    const y = forward(m, xs.slice(0, inputs.length));
    weights ??= pseudoRandom(y.size, 99);
    return y.mul(tensorLike(y, weights, y.shape)).sum();
  };
  const result = gradcheck(f, [...inputs, ...params], { runtime: rt, reference: ref, rtol: options.rtol ?? 1e-3, atol: options.atol ?? 1e-4 });
  for (const m of modules.values()) m.dispose();
  expect(result.ok, `${result.message ?? ''} (inputs first, then parameters ${names.join(', ')})`).toBe(true);
}
