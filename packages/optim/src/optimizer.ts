import { noGrad, scope, type Tensor, zerosLike } from '@nibble/core';
import { OptimizerError } from './errors.ts';
import { matchesName, type NamePattern } from './name-pattern.ts';
import { type LearningRate, learningRateAt } from './schedules.ts';

/** Parameters or gradients by dotted name (as `Module.parameters()` returns them). */
export type TensorRecord = Readonly<Record<string, Tensor>>;

/**
 * Optimizer state: the number of completed steps and per-parameter slot tensors (`slots[slot][param]`, e.g.
 * `slots.expAvg['fc.weight']`). Immutable: {@link Optimizer.step} returns a new state; see
 * {@link disposeOptimizerState} for freeing the old one.
 */
export interface OptimizerState {
  readonly step: number;
  readonly slots: Readonly<Record<string, TensorRecord>>;
}

/** What an optimizer needs from a model: parameters by name, and a way to replace them (a `Module` has both). */
export interface Trainable {
  parameters(): Record<string, Tensor>;
  assign(values: Record<string, Tensor>): void;
}

/** A group of parameters (matched by name) with its own hyperparameters; the first matching group wins. */
export type ParamGroup<H> = { readonly match: NamePattern; readonly lr?: LearningRate } & Partial<H>;

/** Options every optimizer takes: hyperparameters (with `lr`), and optional parameter groups overriding them. */
export type OptimizerOptions<H> = Partial<H> & { readonly lr: LearningRate; readonly groups?: readonly ParamGroup<H>[] };

/**
 * A pure optimizer: `init` builds the state for a set of parameters, `step` maps (params, grads, state) to new params
 * and a new state without touching its inputs. `update` is the convenience for a {@link Trainable} model.
 *
 * @example
 * ```ts
 * const opt = adam({ lr: 1e-3 });
 * let state = opt.init(model.parameters());
 * const { value, grads } = valueAndGrad(() => loss(model))(model.parameters());
 * state = opt.update(model, grads, state); // assigns the new parameters, frees the old ones and the old state
 * ```
 */
export interface Optimizer {
  /** e.g. 'adam'. */
  readonly name: string;
  /** Zeroed slot tensors for every parameter, step 0. */
  init(params: TensorRecord): OptimizerState;
  /**
   * One update. Returns new parameter tensors (a parameter without a gradient is returned as is) and a new state;
   * inputs are not disposed. Gradients must name known parameters and match their shapes.
   */
  step(params: TensorRecord, grads: TensorRecord, state: OptimizerState): { params: Record<string, Tensor>; state: OptimizerState };
  /** `step` on `model.parameters()`, then `model.assign` of the new values; frees the old state; returns the new one. */
  update(model: Trainable, grads: TensorRecord, state: OptimizerState): OptimizerState;
  /** The learning rate parameter `name` gets at step `step` (0-based), after its group's schedule. */
  learningRate(name: string, step?: number): number;
}

/** Resolved hyperparameters of one parameter. */
export type Resolved<H> = H & { readonly lr: LearningRate };

/** How one algorithm updates one parameter. */
export interface UpdateRule<H> {
  readonly name: string;
  readonly defaults: H;
  /** Throws an {@link OptimizerError} for invalid hyperparameters (checked at creation, for defaults and each group). */
  validate(h: Resolved<H>, where: string): void;
  /** Slot names the parameter needs under these hyperparameters (e.g. no momentum buffer when momentum is 0). */
  slots(h: Resolved<H>): readonly string[];
  /** The new parameter and slots; `t` is the 1-based step number, `lr` the rate of this step. */
  apply(args: { param: Tensor; grad: Tensor; slots: TensorRecord; h: Resolved<H>; t: number; lr: number }): {
    param: Tensor;
    slots: Record<string, Tensor>;
  };
}

function sameShape(a: Tensor, b: Tensor): boolean {
  return a.rank === b.rank && a.shape.every((d, i) => d === b.shape[i]);
}

/** Frees the tensors of `old` that `next` does not hold (pass no `next` to free all of it). */
export function disposeOptimizerState(old: OptimizerState, next?: OptimizerState): void {
  const live = new Set<Tensor>();
  if (next) for (const slot of Object.values(next.slots)) for (const t of Object.values(slot)) live.add(t);
  for (const slot of Object.values(old.slots)) for (const t of Object.values(slot)) if (!live.has(t) && !t.isDisposed) t.dispose();
}

/** Builds an {@link Optimizer} from an update rule (how SGD, Adam, AdamW and RMSprop are made). */
export function createOptimizer<H extends object>(rule: UpdateRule<H>, options: OptimizerOptions<H>): Optimizer {
  const { groups = [], ...rest } = options;
  const base = { ...rule.defaults, ...rest } as Resolved<H>;
  rule.validate(base, `${rule.name}`);
  const resolvedGroups = groups.map((g, i) => {
    const { match, ...overrides } = g;
    const h = { ...base, ...overrides } as Resolved<H>;
    rule.validate(h, `${rule.name}: groups[${i}]`);
    return { match, h };
  });
  const cache = new Map<string, Resolved<H>>();
  const resolve = (name: string): Resolved<H> => {
    let h = cache.get(name);
    if (!h) {
      h = resolvedGroups.find((g) => matchesName(g.match, name))?.h ?? base;
      cache.set(name, h);
    }
    return h;
  };

  const init = (params: TensorRecord): OptimizerState =>
    noGrad(() => {
      const slots: Record<string, Record<string, Tensor>> = {};
      for (const [name, p] of Object.entries(params)) {
        for (const slot of rule.slots(resolve(name))) (slots[slot] ??= {})[name] = zerosLike(p);
      }
      return { step: 0, slots };
    });

  const step: Optimizer['step'] = (params, grads, state) => {
    const fn = `${rule.name}.step`;
    if (!Number.isSafeInteger(state.step) || state.step < 0) throw new OptimizerError(`${fn}: state.step is ${state.step}; expected an integer ≥ 0`);
    for (const [name, g] of Object.entries(grads)) {
      const p = params[name];
      if (!p) throw new OptimizerError(`${fn}: gradient for '${name}', which is not a parameter; parameters are ${Object.keys(params).join(', ') || '(none)'}`);
      if (!sameShape(p, g)) throw new OptimizerError(`${fn}: gradient '${name}' has shape [${g.shape.join(',')}]; expected the parameter's [${p.shape.join(',')}]`);
    }
    const t = state.step + 1;
    return noGrad(() =>
      scope(() => {
        const nextParams: Record<string, Tensor> = {};
        const nextSlots: Record<string, Record<string, Tensor>> = {};
        for (const slot of Object.keys(state.slots)) nextSlots[slot] = { ...state.slots[slot] };
        for (const [name, param] of Object.entries(params)) {
          const grad = grads[name];
          if (!grad) {
            nextParams[name] = param;
            continue;
          }
          const h = resolve(name);
          const slots: Record<string, Tensor> = {};
          for (const slot of rule.slots(h)) {
            const s = state.slots[slot]?.[name];
            if (!s) throw new OptimizerError(`${fn}: the state has no '${slot}' for '${name}'; build it with init() on the same parameters`);
            if (!sameShape(s, param)) throw new OptimizerError(`${fn}: state '${slot}' of '${name}' has shape [${s.shape.join(',')}]; expected [${param.shape.join(',')}]`);
            slots[slot] = s;
          }
          const out = rule.apply({ param, grad, slots, h, t, lr: learningRateAt(h.lr, state.step) });
          // the caller owns (and will free) its gradients: never store one in the state or return it as a parameter
          nextParams[name] = out.param === grad ? out.param.clone() : out.param;
          for (const [slot, value] of Object.entries(out.slots)) (nextSlots[slot] ??= {})[name] = value === grad ? value.clone() : value;
        }
        return { params: nextParams, state: { step: t, slots: nextSlots } };
      }),
    );
  };

  return {
    name: rule.name,
    init,
    step,
    update(model, grads, state) {
      const params = model.parameters();
      const next = step(params, grads, state);
      const changed: Record<string, Tensor> = {};
      for (const [name, value] of Object.entries(next.params)) if (value !== params[name]) changed[name] = value;
      model.assign(changed);
      disposeOptimizerState(state, next.state);
      return next.state;
    },
    learningRate(name, stepIndex = 0) {
      return learningRateAt(resolve(name).lr, stepIndex);
    },
  };
}

/** Throws unless `value` is a finite number in the range. */
export function checkRange(where: string, what: string, value: number, min: number, max: number, maxOpen = false): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (maxOpen ? value >= max : value > max)) {
    throw new OptimizerError(`${where}: ${what} is ${value}; expected a number in [${min}, ${max}${maxOpen ? ')' : ']'}`);
  }
}

/** Throws unless `lr` is a finite number ≥ 0 or a function. */
export function checkLearningRate(where: string, lr: LearningRate): void {
  if (typeof lr === 'function') return;
  checkRange(where, 'lr', lr, 0, Number.MAX_VALUE);
}
