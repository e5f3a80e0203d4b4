import { type CreateOptions, hostRandom, type Runtime, type Tensor, tensor, ValueError } from '@nibble/core';
import { streamOf } from './module.ts';

/** Where a layer creates its parameters and how it seeds their initialization. */
export interface LayerOptions {
  /**
   * Seed of the initialization. When given, each parameter draws from the stream `streamOf('<Layer>.<param>')` of
   * this seed (two layers of the same type with the same seed start equal). When omitted, parameters draw from the
   * global initialization stream set by {@link manualSeed} (like `torch.manual_seed`: reproducible for the same
   * construction order).
   */
  seed?: number;
  /**
   * Name mixed into the initialization streams with an explicit `seed` (default: the layer's class name). Composite
   * layers give each child its path (e.g. `TransformerEncoderLayer.selfAttn.q`), so children drawn from one seed
   * differ.
   */
  initName?: string;
  /** Runtime holding the parameters (default: `defaultRuntime`). */
  runtime?: Runtime;
  /** Backend name within the runtime (default: its selected backend). */
  backend?: string;
}

const globalInit = { seed: 0, next: 0 };

/**
 * Seeds the initialization of layers created without an explicit `seed` (and restarts their stream counter).
 *
 * @example
 * ```ts
 * manualSeed(42);
 * const a = new Linear(4, 2);
 * manualSeed(42);
 * const b = new Linear(4, 2); // same weights as a
 * ```
 */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new ValueError(`manualSeed: seed ${seed}; expected an integer in [0, 2^53)`);
  globalInit.seed = seed;
  globalInit.next = 0;
}

/** Draws parameters for one layer: host-side Philox draws, written to the layer's runtime. */
export class Initializer {
  constructor(
    private readonly owner: string,
    private readonly options: LayerOptions,
  ) {}

  private key(param: string): { seed: number; stream: number; counter: number } {
    if (this.options.seed !== undefined) return { seed: this.options.seed, stream: streamOf(`${this.options.initName ?? this.owner}.${param}`), counter: 0 };
    return { seed: globalInit.seed, stream: globalInit.next++ >>> 0, counter: 0 };
  }

  private create(data: Float32Array, shape: readonly number[]): Tensor {
    const opts: CreateOptions & { shape: readonly number[] } = { shape };
    if (this.options.runtime) opts.runtime = this.options.runtime;
    if (this.options.backend) opts.backend = this.options.backend;
    return tensor(data, opts);
  }

  private count(shape: readonly number[]): number {
    return shape.reduce((a, d) => a * d, 1);
  }

  /** U(−bound, bound). */
  uniform(param: string, shape: readonly number[], bound: number): Tensor {
    const n = this.count(shape);
    return this.create(bound > 0 ? hostRandom.uniform(this.key(param), 0, n, -bound, bound) : new Float32Array(n), shape);
  }

  /** N(mean, std²). */
  normal(param: string, shape: readonly number[], std = 1, mean = 0): Tensor {
    return this.create(hostRandom.normal(this.key(param), 0, this.count(shape), mean, std), shape);
  }

  /** A constant. */
  constant(shape: readonly number[], value: number): Tensor {
    return this.create(new Float32Array(this.count(shape)).fill(value), shape);
  }

  /** Given host values (e.g. an orthogonal matrix computed in float64). */
  values(shape: readonly number[], data: ArrayLike<number>): Tensor {
    return this.create(Float32Array.from(data), shape);
  }

  /** Standard normal draws on the host in float64 (for orthogonal initializations). */
  hostNormal(param: string, n: number): Float64Array {
    return Float64Array.from(hostRandom.normal(this.key(param), 0, n));
  }

  /** Uniform draws on the host. */
  hostUniform(param: string, n: number, lo: number, hi: number): Float64Array {
    return Float64Array.from(hostRandom.uniform(this.key(param), 0, n, lo, hi));
  }
}

/** Options for a child layer of a composite: same placement and seed, the child's path as `initName`. */
export function childOptions(parent: LayerOptions, parentName: string, child: string): LayerOptions {
  const o: LayerOptions = { initName: `${parent.initName ?? parentName}.${child}` };
  if (parent.seed !== undefined) o.seed = parent.seed;
  if (parent.runtime) o.runtime = parent.runtime;
  if (parent.backend) o.backend = parent.backend;
  return o;
}

/** Checks a size argument of a layer constructor. */
export function checkSize(where: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) throw new ValueError(`${where}: ${name} = ${value}; expected a positive integer`);
}

/** Checks a probability argument. */
export function checkProbability(where: string, name: string, value: number): void {
  if (!(value >= 0 && value < 1)) throw new ValueError(`${where}: ${name} = ${value}; expected a probability in [0, 1)`);
}
