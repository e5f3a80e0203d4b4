import { keep, type Runtime, type Tensor } from '@nibble/core';
import type { Module, WeightContext } from '@nibble/layers';
import { defaultRegistry } from '../builtins/index.ts';
import { QuantizerCalibrationError, QuantizerConfigError, QuantizerError, QuantizerStateError } from '../errors.ts';
import type { QuantizerRegistry } from '../registry.ts';
import type { JsonValue, Quantizer, QuantizerPlugin, QuantizerRole } from '../spi.ts';
import { modulesWithPackedForward } from '../export/packed-forwards.ts';
import { QatPlanError } from './errors.ts';
import { describePattern, matchesWeightName, type WeightNamePattern } from './name-pattern.ts';

/**
 * One rule of a QAT plan: weights whose dotted name matches `pattern` get a quantizer `quantizer` (a registry id)
 * built from `config`. Rules are tried in order; the first match wins, so put specific rules (e.g. the first and
 * last layer at 8 bits) before general ones.
 */
export interface QatRule {
  readonly pattern: WeightNamePattern;
  /** Registry id, e.g. 'ste', 'lsq', 'acme/my-quant'. */
  readonly quantizer: string;
  /** Raw config, validated by the plugin's `parseConfig` before anything is attached. */
  readonly config: unknown;
  /** Only 'weight' is supported: activations need forward hooks the layers do not have yet. */
  readonly role?: QuantizerRole;
}

/** A QAT plan: rules tried in order, first match wins (mixed precision by listing rules). */
export type QatPlan = readonly QatRule[];

/** Options of {@link prepareQat}. */
export interface PrepareQatOptions {
  /** Where quantizer ids are looked up (default: {@link defaultRegistry}, the built-ins). */
  readonly registry?: QuantizerRegistry;
  /** Runtime given to the quantizers (default: each weight's own runtime). */
  readonly runtime?: Runtime;
}

/** One quantized weight of a {@link QatHandle}. */
export interface QatBinding {
  /** Dotted parameter name. */
  readonly name: string;
  readonly quantizer: Quantizer;
  /** Index of the rule that matched in the plan. */
  readonly rule: number;
  /** Registry id of the quantizer. */
  readonly id: string;
  /** The rule's raw config (recorded in exported files). */
  readonly config: unknown;
}

/** Model and quantizer parameters together, in the shape an optimizer updates (`Trainable` of @nibble/optim). */
export interface QatTrainable {
  /** Model parameters by dotted name plus quantizer parameters as `weightName/param`. */
  parameters(): Record<string, Tensor>;
  /** Replaces model and quantizer parameters by name (validated before anything changes). */
  assign(values: Record<string, Tensor>): void;
}

/** Compressed size of a prepared model, in bits. */
export interface QatSizeBits {
  /** Quantized weights (each quantizer's `sizeBits`, spec §8) plus 32 bits per element of every other parameter and buffer. */
  readonly total: number;
  /** Sum over quantized weights only. */
  readonly quantized: number;
  /** Float32 parameters and buffers that stay unquantized (biases, norms, ...). */
  readonly float: number;
  /** Every parameter and buffer by dotted name. */
  readonly byName: Readonly<Record<string, number>>;
}

/**
 * Quantizers attached to a model by {@link prepareQat}. Dispose it (or call {@link QatHandle.detach}) to remove them.
 *
 * @example
 * ```ts
 * const qat = prepareQat(model, [{ pattern: '*.weight', quantizer: 'lsq', config: { bits: 4 } }]);
 * const trainable = qat.trainable();       // model + LSQ steps, for an optimizer
 * qat.sizeBits().total;                    // compressed size in bits
 * qat.detach();                            // back to the float model
 * ```
 */
export interface QatHandle extends Disposable {
  readonly model: Module;
  /** Quantizer of each quantized weight, by dotted name, in parameter order. */
  readonly quantizers: ReadonlyMap<string, Quantizer>;
  /** Quantizer, rule, id and config of each quantized weight. */
  readonly bindings: ReadonlyMap<string, QatBinding>;
  /** Learned quantizer tensors (LSQ steps, PQ centroids) as `weightName/param`. */
  parameters(): Record<string, Tensor>;
  /** Replaces learned quantizer tensors by `weightName/param`; every entry is validated before any is assigned. */
  assign(values: Record<string, Tensor>): void;
  /** Model plus quantizer parameters, for an optimizer (`optimizer.update(qat.trainable(), grads, state)`). */
  trainable(): QatTrainable;
  /** Versioned observer state of every quantizer, by weight name (JSON, for checkpoints). */
  getState(): Record<string, { version: number; state: JsonValue }>;
  /** Restores {@link QatHandle.getState}; names and versions are validated by each quantizer. */
  setState(states: Readonly<Record<string, { version: number; state: JsonValue }>>): void;
  /** Removes the transforms and disposes the quantizers (idempotent). The model is a float model again. */
  detach(): void;
  /** True until {@link QatHandle.detach}. */
  readonly attached: boolean;
  /** Compressed size by the quantizers' formulas (spec §8), plus float32 for everything else. */
  sizeBits(): QatSizeBits;
  /**
   * The tensor the layer hands to weight `name`'s transform (the raw parameter for most layers, the Björck output
   * for an orthogonal recurrent matrix): what the quantizer quantizes. The caller owns the result.
   */
  quantizerInput(name: string): Tensor;
}

/** Handles by model, so `calibrate(model, ...)` finds the quantizers and a model cannot be prepared twice. */
const handles = new WeakMap<Module, QatHandleImpl>();

/** The live {@link QatHandle} of a model prepared by {@link prepareQat}, if any. */
export function qatHandleOf(model: Module): QatHandle | undefined {
  return handles.get(model);
}

const PARAM_SEPARATOR = '/';

class QatHandleImpl implements QatHandle {
  attached = true;
  readonly quantizers: Map<string, Quantizer>;
  /** Set by `calibrate`: the transforms recompute ranges from the first tensor they see. */
  calibrating: Set<string> | undefined;
  /** Set by `quantizerInput`: the transform records what it is given instead of quantizing. */
  private capture: { name: string; value: Tensor | undefined } | undefined;

  constructor(
    readonly model: Module,
    readonly bindings: Map<string, QatBinding>,
  ) {
    this.quantizers = new Map([...bindings].map(([n, b]) => [n, b.quantizer]));
  }

  /** The transform attached to weight `name`. */
  transformFor(name: string, q: Quantizer): (w: Tensor, ctx: WeightContext) => Tensor {
    return (w, ctx) => {
      if (this.capture?.name === name) {
        this.capture.value = keep(w.clone()); // outlives the layer's scope; quantizerInput's caller disposes it
        return w;
      }
      if (this.calibrating && !this.calibrating.has(name)) {
        calibrateWeight(name, q, w);
        this.calibrating.add(name);
      }
      return q.forward(w, ctx);
    };
  }

  parameters(): Record<string, Tensor> {
    this.assertAttached('parameters');
    const out: Record<string, Tensor> = {};
    for (const [name, q] of this.quantizers) for (const [p, t] of Object.entries(q.parameters())) out[`${name}${PARAM_SEPARATOR}${p}`] = t;
    return out;
  }

  assign(values: Record<string, Tensor>): void {
    this.assertAttached('assign');
    const byWeight = new Map<string, Record<string, Tensor>>();
    for (const [key, value] of Object.entries(values)) {
      const cut = key.lastIndexOf(PARAM_SEPARATOR);
      const weight = key.slice(0, cut);
      const param = key.slice(cut + 1);
      const q = cut > 0 ? this.quantizers.get(weight) : undefined;
      const old = q?.parameters()[param];
      if (!q || !old) {
        const known = Object.keys(this.parameters());
        throw new QuantizerStateError(`QatHandle.assign: unknown quantizer parameter '${key}'; expected one of ${known.join(', ') || '(none: these quantizers learn nothing)'}`);
      }
      if (old.dtype !== value.dtype || old.rank !== value.rank || old.shape.some((d, i) => d !== value.shape[i])) {
        throw new QuantizerStateError(`QatHandle.assign: '${key}' is ${old.dtype}[${old.shape.join(',')}]; got ${value.dtype}[${value.shape.join(',')}]`);
      }
      byWeight.set(weight, { ...byWeight.get(weight), [param]: value });
    }
    for (const [weight, record] of byWeight) this.quantizers.get(weight)!.assign(record);
  }

  trainable(): QatTrainable {
    return {
      parameters: () => ({ ...this.model.parameters(), ...this.parameters() }),
      assign: (values) => {
        const model: Record<string, Tensor> = {};
        const quant: Record<string, Tensor> = {};
        for (const [k, v] of Object.entries(values)) (k.includes(PARAM_SEPARATOR) ? quant : model)[k] = v;
        // Validate both halves before changing either: the model's assign checks shapes itself, so check ours first.
        this.validateQuantizerAssign(quant);
        this.model.assign(model);
        this.assign(quant);
      },
    };
  }

  getState(): Record<string, { version: number; state: JsonValue }> {
    this.assertAttached('getState');
    return Object.fromEntries([...this.quantizers].map(([n, q]) => [n, q.getState()]));
  }

  setState(states: Readonly<Record<string, { version: number; state: JsonValue }>>): void {
    this.assertAttached('setState');
    const unknown = Object.keys(states).filter((n) => !this.quantizers.has(n));
    const missing = [...this.quantizers.keys()].filter((n) => !(n in states));
    if (unknown.length || missing.length) {
      throw new QuantizerStateError(`QatHandle.setState: unknown weights [${unknown.join(', ')}], missing weights [${missing.join(', ')}]; expected exactly the quantized weights`);
    }
    for (const [n, s] of Object.entries(states)) this.quantizers.get(n)!.setState(s);
  }

  detach(): void {
    if (!this.attached) return;
    this.attached = false;
    for (const name of this.quantizers.keys()) this.model.setWeightTransform(name, undefined);
    for (const q of this.quantizers.values()) q[Symbol.dispose]();
    handles.delete(this.model);
  }

  sizeBits(): QatSizeBits {
    const byName: Record<string, number> = {};
    let quantized = 0;
    let float = 0;
    for (const [name, t] of this.model.stateDict()) {
      const q = this.quantizers.get(name);
      const bits = q ? q.sizeBits(t.shape) : 32 * t.size;
      byName[name] = bits;
      if (q) quantized += bits;
      else float += bits;
    }
    return { total: quantized + float, quantized, float, byName };
  }

  quantizerInput(name: string): Tensor {
    this.assertAttached('quantizerInput');
    if (!this.quantizers.has(name)) throw new QatPlanError(`QatHandle.quantizerInput: '${name}' is not quantized; quantized weights: ${[...this.quantizers.keys()].join(', ')}`);
    const cut = name.lastIndexOf('.');
    const owner = this.model.namedModules().get(cut < 0 ? '' : name.slice(0, cut));
    const local = name.slice(cut + 1);
    // A layer that derives the weight before its transform (OrthogonalRNN's Björck matrix) exposes the derived value
    // through `recurrentMatrix()`; running it with capture on records exactly what the quantizer sees.
    const derive = (owner as { recurrentMatrix?: () => Tensor } | undefined)?.recurrentMatrix;
    if (owner && local === 'recurrentWeight' && typeof derive === 'function') {
      this.capture = { name, value: undefined };
      try {
        derive.call(owner).dispose();
        if (this.capture.value) return this.capture.value;
      } finally {
        this.capture = undefined;
      }
    }
    if (!owner) throw new QatPlanError(`QatHandle.quantizerInput: no module owns '${name}'`);
    return owner.rawParameter(local).clone();
  }

  [Symbol.dispose](): void {
    this.detach();
  }

  private validateQuantizerAssign(values: Record<string, Tensor>): void {
    for (const [key, value] of Object.entries(values)) {
      const cut = key.lastIndexOf(PARAM_SEPARATOR);
      const old = this.quantizers.get(key.slice(0, cut))?.parameters()[key.slice(cut + 1)];
      if (!old || old.rank !== value.rank || old.shape.some((d, i) => d !== value.shape[i]) || old.dtype !== value.dtype) {
        throw new QuantizerStateError(`QatTrainable.assign: '${key}' is not a quantizer parameter of this shape (got ${value.dtype}[${value.shape.join(',')}])`);
      }
    }
  }

  private assertAttached(fn: string): void {
    if (!this.attached) throw new QatPlanError(`QatHandle.${fn}: the handle was detached; call prepareQat again`);
  }
}

/** The rule's config error, re-thrown with the rule's place in the plan (same class and field). */
function withRuleContext(e: unknown, where: string): unknown {
  if (e instanceof QuantizerConfigError) {
    const wrapped = new QuantizerConfigError(`prepareQat: ${where}: ${e.message}`, e.field);
    (wrapped as { cause?: unknown }).cause = e;
    return wrapped;
  }
  if (e instanceof QuantizerError) {
    const Ctor = e.constructor as new (message: string) => QuantizerError;
    try {
      const wrapped = new Ctor(`prepareQat: ${where}: ${e.message}`);
      (wrapped as { cause?: unknown }).cause = e;
      return wrapped;
    } catch {
      return e;
    }
  }
  return e;
}

/**
 * Attaches weight quantizers to a model by name pattern, for quantization-aware training. Everything is validated
 * before the model is touched: unknown ids (the error lists the registered ones), invalid configs (the error names
 * the field), patterns that match no weight, weights that already carry a transform. Each matched weight gets its
 * own quantizer, created with `{ shape, role: 'weight', runtime, name }`, and reached through the layer's
 * weight-transform hook, so the layer computes with `quantizer.forward(weight)`.
 *
 * @example
 * ```ts
 * const model = new Sequential(new Linear(16, 64), new ReLU(), new Linear(64, 4));
 * const qat = prepareQat(model, [
 *   { pattern: '2.weight', quantizer: 'ste', config: { bits: 8 } },                        // last layer at 8 bits
 *   { pattern: '*.weight', quantizer: 'lsq', config: { bits: 4 } },                        // everything else at 4
 * ]);
 * const y = model.forward(x);          // fake-quantized forward, STE/LSQ gradients
 * qat.sizeBits().total;
 * ```
 */
export function prepareQat(model: Module, plan: QatPlan, options: PrepareQatOptions = {}): QatHandle {
  const registry = options.registry ?? defaultRegistry;
  if (handles.has(model)) throw new QatPlanError('prepareQat: this model is already prepared; call detach() on its handle first');
  if (!Array.isArray(plan) || plan.length === 0) throw new QatPlanError(`prepareQat: plan has ${Array.isArray(plan) ? 0 : 'no'} rules; expected a non-empty list of { pattern, quantizer, config }`);

  // 1. Rules: ids, roles and configs.
  const rules = plan.map((rule, i) => {
    const where = `rule ${i} (${describePattern(rule.pattern)} → ${String(rule.quantizer)})`;
    if (typeof rule.pattern !== 'string' && !(rule.pattern instanceof RegExp)) {
      throw new QatPlanError(`prepareQat: rule ${i} has pattern ${String(rule.pattern)}; expected a glob string or a RegExp`);
    }
    const role = rule.role ?? 'weight';
    if (role !== 'weight') throw new QatPlanError(`prepareQat: ${where} has role '${String(role)}'; expected 'weight' (activation quantizers are not supported by prepareQat yet)`);
    if (!registry.has(rule.quantizer)) {
      throw new QatPlanError(`prepareQat: ${where}: unknown quantizer id '${String(rule.quantizer)}'; registered: ${registry.ids().join(', ') || '(none)'}`);
    }
    const plugin = registry.get(rule.quantizer) as QuantizerPlugin<unknown>;
    let config: unknown;
    try {
      config = plugin.parseConfig(rule.config);
    } catch (e) {
      throw withRuleContext(e, where);
    }
    return { rule, where, plugin, config, matched: 0 };
  });

  // 2. Weights: first matching rule wins; every rule must match something.
  const params = model.namedParameters();
  const modules = model.namedModules();
  const assignments: { name: string; weight: Tensor; ruleIndex: number }[] = [];
  for (const [name, weight] of params) {
    const ruleIndex = rules.findIndex((r) => matchesWeightName(r.rule.pattern, name));
    if (ruleIndex < 0) continue;
    rules[ruleIndex]!.matched++;
    if (model.weightTransform(name)) throw new QatPlanError(`prepareQat: weight '${name}' already has a weight transform; remove it before preparing`);
    const owner = modules.get(name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : '');
    if (owner && modulesWithPackedForward.has(owner)) throw new QatPlanError(`prepareQat: weight '${name}' belongs to a layer running packed weights (loadQuantized); unload() it first`);
    assignments.push({ name, weight, ruleIndex });
  }
  const unused = rules.filter((r) => r.matched === 0);
  if (unused.length) {
    const shadow = (r: (typeof rules)[number]) => [...params.keys()].some((n) => matchesWeightName(r.rule.pattern, n));
    const names = [...params.keys()];
    throw new QatPlanError(
      `prepareQat: ${unused.map((r) => `${r.where} ${shadow(r) ? 'only matches weights an earlier rule already took' : 'matches no parameter'}`).join('; ')}; parameters: ${names.slice(0, 20).join(', ')}${names.length > 20 ? `, ... (${names.length} in all)` : ''}`,
    );
  }

  // 3. Quantizers, all created before any is attached (a failing create disposes the others).
  const bindings = new Map<string, QatBinding>();
  try {
    for (const { name, weight, ruleIndex } of assignments) {
      const r = rules[ruleIndex]!;
      let quantizer: Quantizer;
      try {
        quantizer = r.plugin.create(r.config, { shape: [...weight.shape], role: 'weight', runtime: options.runtime ?? weight.runtime, name });
      } catch (e) {
        throw withRuleContext(e, `${r.where}, weight '${name}' [${weight.shape.join(',')}]`);
      }
      bindings.set(name, { name, quantizer, rule: ruleIndex, id: r.rule.quantizer, config: r.rule.config });
    }
  } catch (e) {
    for (const b of bindings.values()) b.quantizer[Symbol.dispose]();
    throw e;
  }

  // 4. Attach.
  const handle = new QatHandleImpl(model, bindings);
  for (const [name, b] of bindings) model.setWeightTransform(name, handle.transformFor(name, b.quantizer));
  handles.set(model, handle);
  return handle;
}

/** Internal: the implementation behind a handle (calibration switches). */
export function internalHandleOf(model: Module): { calibrating: Set<string> | undefined } & QatHandle {
  const h = handles.get(model);
  if (!h) throw new QatPlanError(`calibrate: the model has no quantizers attached; call prepareQat(model, plan) first`);
  return h;
}

/** Internal: `q.calibrate(w)`, naming the weight in a calibration error (which quantizer saw the NaN). */
export function calibrateWeight(name: string, q: Quantizer, w: Tensor): void {
  try {
    q.calibrate(w);
  } catch (e) {
    if (e instanceof QuantizerCalibrationError) throw new QuantizerCalibrationError(`calibrate: weight '${name}': ${e.message}`, { cause: e });
    throw e;
  }
}
