import { keep, type RngKey, ShapeError, type Tensor, ValueError } from '@nibble/core';

/** What a weight transform (e.g. a quantizer) is told at each forward pass. */
export interface WeightContext {
  /** Dotted name of the weight in the root module (e.g. `encoder.0.attn.wq.weight`). */
  readonly name: string;
  readonly training: boolean;
  /** Optimizer step and epoch, as set by {@link Module.setProgress}. */
  readonly step: number;
  readonly epoch: number;
  /** A random stream unique to this weight and step: draws differ per step, repeat on resume. */
  readonly key: RngKey;
  /** Optional noise rate override (Quant-Noisier sets it per batch). */
  readonly rate?: number;
}

/**
 * Maps a raw weight to the value the layer computes with, differentiably (a fake quantizer, a noise injector, an
 * orthogonal parametrization). Attached per weight with {@link Module.setWeightTransform}.
 */
export type WeightTransform = (weight: Tensor, ctx: WeightContext) => Tensor;

/** Training progress shared by a module tree. */
interface Progress {
  step: number;
  epoch: number;
  seed: number;
  rate?: number;
}

/** FNV-1a of a name: a stable 32-bit stream id per weight. */
export function streamOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Base class of layers: a tree of named parameters, buffers and child modules, with train/eval mode, state dicts and
 * one weight-transform hook per parameter. Tensors are immutable, so updates replace parameters
 * ({@link Module.assign}); the old tensors are disposed.
 *
 * @example
 * ```ts
 * class Scale extends Module {
 *   constructor() { super(); this.addParameter('s', ones([1])); }
 *   forward(x: Tensor) { return x.mul(this.weight('s')); }
 * }
 * const m = new Scale();
 * m.namedParameters(); // Map { 's' => Tensor }
 * ```
 */
export abstract class Module implements Disposable {
  /** True in training mode (dropout active, quantizer noise on). */
  training = true;
  private readonly params = new Map<string, Tensor>();
  private readonly buffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();
  private readonly transforms = new Map<string, WeightTransform>();
  private parent: { module: Module; name: string } | undefined;
  private progress: Progress = { step: 0, epoch: 0, seed: 0 };

  /** Registers a learnable parameter (the module takes ownership of the tensor). */
  protected addParameter(name: string, value: Tensor): Tensor {
    this.checkName(name);
    this.params.set(name, keep(value));
    return value;
  }

  /** Registers a non-learned state tensor (saved in the state dict, not optimized). */
  protected addBuffer(name: string, value: Tensor): Tensor {
    this.checkName(name);
    this.buffers.set(name, keep(value));
    return value;
  }

  /** Registers a child module. */
  protected addModule<M extends Module>(name: string, child: M): M {
    this.checkName(name);
    child.parent = { module: this, name };
    this.children.set(name, child);
    return child;
  }

  /** Replaces a buffer's value (disposing the old one); used for running statistics. */
  protected setBuffer(name: string, value: Tensor): void {
    const old = this.buffers.get(name);
    if (!old) throw new ValueError(`setBuffer: no buffer '${name}' in ${this.constructor.name}`);
    this.buffers.set(name, keep(value));
    if (old !== value) old.dispose();
  }

  /** A buffer's current value. */
  protected buffer(name: string): Tensor {
    const b = this.buffers.get(name);
    if (!b) throw new ValueError(`buffer: no buffer '${name}' in ${this.constructor.name}; has ${[...this.buffers.keys()].join(', ')}`);
    return b;
  }

  /** The raw parameter tensor, without its transform. */
  rawParameter(name: string): Tensor {
    const p = this.params.get(name);
    if (!p) throw new ValueError(`parameter: no parameter '${name}' in ${this.constructor.name}; has ${[...this.params.keys()].join(', ') || '(none)'}`);
    return p;
  }

  /**
   * The value a forward pass should use for parameter `name`: the raw parameter, or its transform's output when one
   * is attached. Call it inside the forward pass (the result may be a new tensor owned by the enclosing scope).
   */
  protected weight(name: string): Tensor {
    return this.applyWeightTransform(name, this.rawParameter(name));
  }

  /**
   * Passes `value` through the transform attached to parameter `name` (or returns it unchanged). For layers whose
   * computed weight is derived from the raw parameter before quantization (e.g. the Björck-orthogonalized recurrent
   * matrix of {@link OrthogonalRNN}), so the transform sees the weight actually used.
   */
  protected applyWeightTransform(name: string, value: Tensor): Tensor {
    this.rawParameter(name); // throws a named error for an unknown parameter
    const transform = this.transforms.get(name);
    if (!transform) return value;
    const root = this.root();
    const full = this.path(name);
    return transform(value, {
      name: full,
      training: this.training,
      step: root.progress.step,
      epoch: root.progress.epoch,
      key: { seed: root.progress.seed, stream: streamOf(full), counter: root.progress.step * 2 ** 20 },
      ...(root.progress.rate === undefined ? {} : { rate: root.progress.rate }),
    });
  }

  /**
   * A random key for stochastic layers (dropout): unique to this module's path, `purpose`, the training step and the
   * seed set by {@link Module.setProgress}, so masks differ per step and repeat on resume.
   */
  protected randomKey(purpose: string): RngKey {
    const root = this.root();
    return { seed: root.progress.seed, stream: streamOf(`${this.path(purpose)}#${root.progress.step}`), counter: 0 };
  }

  /** Attaches (or with `undefined` removes) the transform of a parameter, by its dotted name from this module. */
  setWeightTransform(dottedName: string, transform: WeightTransform | undefined): void {
    const { owner, local } = this.resolve(dottedName);
    owner.rawParameter(local);
    if (transform) owner.transforms.set(local, transform);
    else owner.transforms.delete(local);
  }

  /** The transform attached to a parameter, if any. */
  weightTransform(dottedName: string): WeightTransform | undefined {
    const { owner, local } = this.resolve(dottedName);
    return owner.transforms.get(local);
  }

  /** Sets the step/epoch/seed (and optional noise rate) seen by weight transforms of the whole tree. */
  setProgress(progress: { step: number; epoch?: number; seed?: number; rate?: number }): void {
    const root = this.root();
    root.progress = { ...root.progress, ...progress };
  }

  /** Parameters by dotted name, depth first in registration order. */
  namedParameters(prefix = ''): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [n, p] of this.params) out.set(prefix + n, p);
    for (const [n, c] of this.children) for (const [k, v] of c.namedParameters(`${prefix}${n}.`)) out.set(k, v);
    return out;
  }

  /** Parameters as a plain record (dotted names), e.g. for `valueAndGrad`. */
  parameters(): Record<string, Tensor> {
    return Object.fromEntries(this.namedParameters());
  }

  /** Buffers by dotted name. */
  namedBuffers(prefix = ''): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [n, b] of this.buffers) out.set(prefix + n, b);
    for (const [n, c] of this.children) for (const [k, v] of c.namedBuffers(`${prefix}${n}.`)) out.set(k, v);
    return out;
  }

  /** Child modules by dotted name (this module is ''). */
  namedModules(prefix = ''): Map<string, Module> {
    const out = new Map<string, Module>([[prefix.replace(/\.$/, ''), this]]);
    for (const [n, c] of this.children) for (const [k, v] of c.namedModules(`${prefix}${n}.`)) out.set(k, v);
    return out;
  }

  /**
   * Replaces parameters by dotted name (e.g. after an optimizer step), disposing the replaced tensors. Shapes and
   * dtypes must match; nothing changes when any entry is invalid.
   */
  assign(values: Record<string, Tensor> | Map<string, Tensor>): void {
    const entries = values instanceof Map ? [...values] : Object.entries(values);
    const plan = entries.map(([name, value]) => {
      const { owner, local } = this.resolve(name);
      const old = owner.rawParameter(local);
      if (old.dtype !== value.dtype || old.rank !== value.rank || old.shape.some((d, i) => d !== value.shape[i])) {
        throw new ShapeError(`assign: '${name}' is ${old.dtype}[${old.shape.join(',')}]; got ${value.dtype}[${value.shape.join(',')}]`);
      }
      return { owner, local, old, value };
    });
    for (const { owner, local, old, value } of plan) {
      owner.params.set(local, keep(value));
      if (old !== value) old.dispose();
    }
  }

  /** Parameters and buffers by dotted name (buffers included so running statistics are saved). */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Loads parameters and buffers by dotted name. Validates every entry (missing, unexpected, shape or dtype mismatch)
   * before changing anything; the module keeps copies, the caller keeps its tensors.
   */
  loadStateDict(state: Map<string, Tensor> | Record<string, Tensor>, options: { strict?: boolean } = {}): void {
    const entries = new Map(state instanceof Map ? state : Object.entries(state));
    const mine = this.stateDict();
    const strict = options.strict ?? true;
    const missing = [...mine.keys()].filter((k) => !entries.has(k));
    const unexpected = [...entries.keys()].filter((k) => !mine.has(k));
    if (strict && (missing.length || unexpected.length)) {
      throw new ValueError(`loadStateDict: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`);
    }
    for (const [k, v] of entries) {
      const cur = mine.get(k);
      if (!cur) continue;
      if (cur.dtype !== v.dtype || cur.rank !== v.rank || cur.shape.some((d, i) => d !== v.shape[i])) {
        throw new ShapeError(`loadStateDict: '${k}' is ${cur.dtype}[${cur.shape.join(',')}] in the module; got ${v.dtype}[${v.shape.join(',')}]`);
      }
    }
    for (const [k, v] of entries) {
      if (!mine.has(k)) continue;
      const { owner, local } = this.resolve(k);
      const copy = v.clone();
      if (owner.params.has(local)) {
        owner.params.get(local)!.dispose();
        owner.params.set(local, keep(copy));
      } else {
        owner.buffers.get(local)!.dispose();
        owner.buffers.set(local, keep(copy));
      }
    }
  }

  /** Training mode for this module and its children. */
  train(on = true): this {
    for (const m of this.namedModules().values()) m.training = on;
    return this;
  }

  /** Evaluation mode (`train(false)`). */
  eval(): this {
    return this.train(false);
  }

  /** Disposes every parameter and buffer of the tree. */
  dispose(): void {
    for (const m of this.namedModules().values()) {
      for (const p of m.params.values()) p.dispose();
      for (const b of m.buffers.values()) b.dispose();
    }
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  private checkName(name: string): void {
    if (!name || name.includes('.')) throw new ValueError(`${this.constructor.name}: invalid name '${name}'; expected a non-empty name without dots`);
    if (this.params.has(name) || this.buffers.has(name) || this.children.has(name)) {
      throw new ValueError(`${this.constructor.name}: '${name}' is already registered`);
    }
  }

  private root(): Module {
    let m: Module = this;
    while (m.parent) m = m.parent.module;
    return m;
  }

  private path(local: string): string {
    const parts = [local];
    let m: Module = this;
    while (m.parent) {
      parts.unshift(m.parent.name);
      m = m.parent.module;
    }
    return parts.join('.');
  }

  private resolve(dotted: string): { owner: Module; local: string } {
    const parts = dotted.split('.');
    let owner: Module = this;
    for (const p of parts.slice(0, -1)) {
      const c = owner.children.get(p);
      if (!c) throw new ValueError(`'${dotted}': no child module '${p}' in ${owner.constructor.name}; has ${[...owner.children.keys()].join(', ') || '(none)'}`);
      owner = c;
    }
    return { owner, local: parts.at(-1)! };
  }
}
