import { ShapeError, ValueError } from '../errors.ts';
import { keep, scope } from '../memory/scope.ts';
import { onesLike, zerosLike } from '../ops/create.ts';
import { add } from '../ops/elementwise.ts';
import { Tensor } from '../tensor.ts';
import { type CustomRule, noGrad, popTape, pushTape, record, Tape, type TapeNode } from './tape.ts';
import { type VjpContext, vjpRules } from './vjp.ts';
import type { GradOp } from '../spi/ops.ts';
import { fmt } from '../shape.ts';

/** Tensors nested in arrays and plain objects; gradients come back in the same structure. */
export type TensorTree = Tensor | readonly TensorTree[] | { readonly [key: string]: TensorTree };

function leaves(tree: TensorTree, out: Tensor[] = []): Tensor[] {
  if (tree instanceof Tensor) out.push(tree);
  else if (Array.isArray(tree)) for (const t of tree) leaves(t, out);
  else for (const t of Object.values(tree)) leaves(t as TensorTree, out);
  return out;
}

function rebuild<T extends TensorTree>(tree: T, values: Iterator<Tensor>): T {
  if (tree instanceof Tensor) return values.next().value as T;
  if (Array.isArray(tree)) return tree.map((t) => rebuild(t as TensorTree, values)) as unknown as T;
  return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, rebuild(v as TensorTree, values)])) as T;
}

/**
 * Runs the recorded nodes backwards from `output` with cotangent `seed`; returns gradients of `wrt` (zeros if unused).
 *
 * With `consume` (a tape that runs backwards once), memory is given back as the pass goes, as PyTorch does: a node's
 * saved tensors once its rule has run, and every gradient handle nothing will read again (the node's output
 * gradient, partial sums replaced by their total, gradients of inputs nobody watches). The freed buffers are then the
 * most recently used ones, which the backend's reuse pool hands to the next gradients of their size while they are
 * still in cache; without this, every activation and gradient of the step stayed live until the end.
 */
function backprop(tape: Tape, output: Tensor, seed: Tensor, wrt: readonly Tensor[], consume = false): Tensor[] {
  return noGrad(() =>
    scope(() => {
      const grads = new Map<Tensor, Tensor>([[output, seed]]);
      for (let n = tape.nodes.length - 1; n >= 0; n--) {
        const node = tape.nodes[n]!;
        const g = grads.get(node.output);
        if (!g) {
          if (consume) tape.releaseNode(node, new Set(grads.values()));
          continue;
        }
        const inputGrads = runRule(node, g, node.inputs.map((input) => tape.watched.has(input)));
        // node.output has one producer, this node, and every consumer came later on the tape: its gradient is final
        // and read by no one else from here on
        const done: Tensor[] = consume ? [g] : [];
        if (consume) grads.delete(node.output);
        node.inputs.forEach((input, i) => {
          const gi = inputGrads[i];
          if (!gi) return;
          if (!tape.watched.has(input)) {
            done.push(gi);
            return;
          }
          const prev = grads.get(input);
          grads.set(input, prev ? add(prev, gi) : gi);
          if (prev) done.push(prev, gi);
        });
        if (consume) {
          const live = new Set(grads.values());
          tape.releaseNode(node, live); // a rule may hand back a saved handle as a gradient: that one stays
          for (const t of done) if (t !== seed && !live.has(t)) t.dispose(); // one handle may serve several inputs
        }
      }
      return wrt.map((w) => {
        const g = grads.get(w);
        return g ? (g === seed ? g.clone() : g) : zerosLike(w);
      });
    }),
  );
}

function runRule(node: TapeNode, g: Tensor, needsGrad: readonly boolean[]): readonly (Tensor | null)[] {
  if (node.rule) return node.rule({ inputs: node.savedInputs, output: node.savedOutput }, g);
  const rule = vjpRules[node.op as GradOp] as (ctx: VjpContext<GradOp>, g: Tensor) => readonly (Tensor | null)[];
  return rule({ inputs: node.savedInputs, output: node.savedOutput, params: node.params as never, needsGrad }, g);
}

function checkScalar(where: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) throw new ValueError(`${where}: the function returned ${typeof value}; expected a Tensor`);
  if (value.size !== 1) throw new ShapeError(`${where}: the function returned shape ${fmt(value.shape)}; expected a scalar (one element) — reduce it (e.g. .mean()) or use vjp()`);
  if (value.dtype !== 'float32') throw new ValueError(`${where}: the function returned dtype ${value.dtype}; expected float32`);
  return value;
}

/** Result of {@link valueAndGrad}: the function's value and the gradients, shaped like the arguments. */
export interface ValueAndGrad<A extends readonly TensorTree[]> {
  value: Tensor;
  grads: A;
}

/**
 * Wraps a scalar function of tensors so it returns its value and the gradient with respect to every argument.
 * Intermediate tensors are freed; `value` and `grads` belong to the caller (dispose them).
 *
 * @example
 * ```ts
 * const f = (w: Tensor, b: Tensor) => x.matmul(w).add(b).square().mean();
 * const { value, grads: [gw, gb] } = valueAndGrad(f)(w, b);
 * ```
 */
export function valueAndGrad<A extends readonly TensorTree[]>(f: (...args: A) => Tensor): (...args: A) => ValueAndGrad<A> {
  return (...args: A) => {
    const wrt = leaves(args as unknown as TensorTree);
    const tape = new Tape();
    for (const w of wrt) {
      w.assertLive('valueAndGrad');
      tape.watched.add(w);
    }
    pushTape(tape);
    let value: Tensor;
    try {
      value = keep(scope(() => checkScalar('valueAndGrad', f(...args))));
    } catch (e) {
      popTape(tape);
      tape.release();
      throw e;
    }
    popTape(tape);
    try {
      const seed = onesLike(value);
      const grads = backprop(tape, value, seed, wrt, true);
      seed.dispose();
      return { value, grads: rebuild(args as unknown as TensorTree, grads[Symbol.iterator]()) as unknown as A };
    } finally {
      tape.release();
    }
  };
}

/**
 * Wraps a scalar function so it returns only the gradients (shaped like the arguments).
 *
 * @example
 * ```ts
 * const [dx] = grad((x: Tensor) => x.square().sum())(tensor([1, 2])); // [2, 4]
 * ```
 */
export function grad<A extends readonly TensorTree[]>(f: (...args: A) => Tensor): (...args: A) => A {
  const vg = valueAndGrad(f);
  return (...args: A) => {
    const { value, grads } = vg(...args);
    value.dispose();
    return grads;
  };
}

/** Result of {@link vjp}: the output, and a function mapping an output cotangent to input gradients. */
export interface VjpResult<A extends readonly TensorTree[]> extends Disposable {
  output: Tensor;
  /** Gradients of the inputs for the cotangent `g` (same shape as `output`). Callable several times. */
  vjp(g: Tensor): A;
}

/**
 * Evaluates `f` at `args` and returns a function computing vector–Jacobian products. Dispose the result to free the
 * recording.
 *
 * @example
 * ```ts
 * using r = vjp((x: Tensor) => x.exp(), x);
 * const [dx] = r.vjp(onesLike(r.output));
 * ```
 */
export function vjp<A extends readonly TensorTree[]>(f: (...args: A) => Tensor, ...args: A): VjpResult<A> {
  const wrt = leaves(args as unknown as TensorTree);
  const tape = new Tape();
  for (const w of wrt) tape.watched.add(w);
  pushTape(tape);
  let output: Tensor;
  try {
    output = keep(scope(() => f(...args)));
  } catch (e) {
    popTape(tape);
    tape.release();
    throw e;
  } finally {
    popTape(tape);
  }
  return {
    output,
    vjp: (g: Tensor) => {
      if (g.rank !== output.rank || g.shape.some((d, i) => d !== output.shape[i])) {
        throw new ShapeError(`vjp: cotangent has shape ${fmt(g.shape)}; expected the output's shape ${fmt(output.shape)}`);
      }
      const grads = backprop(tape, output, g, wrt);
      return rebuild(args as unknown as TensorTree, grads[Symbol.iterator]()) as unknown as A;
    },
    [Symbol.dispose]: () => {
      tape.release();
    },
  };
}

/**
 * Defines a function with a hand-written backward rule (e.g. a straight-through estimator). `forward` runs without
 * taping; `backward` receives the inputs, the output and the output gradient and returns one gradient (or null) per
 * input.
 *
 * @example
 * ```ts
 * // value of round(x), gradient of the identity
 * const roundSte = customVjp((x: Tensor) => x.roundHalfEven(), (_ctx, g) => [g.clone()]);
 * ```
 */
export function customVjp<A extends Tensor[]>(forward: (...inputs: A) => Tensor, backward: CustomRule): (...inputs: A) => Tensor {
  return (...inputs: A) => {
    const output = noGrad(() => forward(...inputs));
    record('custom', inputs, output, undefined, backward);
    return output;
  };
}
