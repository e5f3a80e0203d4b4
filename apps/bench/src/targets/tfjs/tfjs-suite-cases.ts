// The suite-cases.json kinds tfjs has the same ops for: elementwise, reductions, and forward + backward of the
// transformer block (tf.variableGrads). The OrthogonalRNN case is skipped with its reason: tfjs has no such layer.
import type { CaseFactories, PreparedCase } from '../bench-target.js';
import { UnsupportedCaseError } from '../bench-target.js';
import { useTfjsBackend, type TfjsBackendName } from './load-tfjs.js';
import { tfTransformerBlock, tfTransformerParams } from './tfjs-models.js';

type Tensor = import('@tensorflow/tfjs').Tensor;

async function readBack(t: Tensor): Promise<Float32Array> {
  const data = await t.data();
  t.dispose();
  return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
}

/** Factories of the tfjs rows of the ops and layers suites on one backend. */
export function tfjsSuiteCases(backend: TfjsBackendName): CaseFactories {
  return {
    async elementwise(c, d) {
      const tf = await useTfjsBackend(backend);
      const x = tf.tensor2d(d.x, [c.rows, c.cols]);
      const y = tf.tensor1d(d.y);
      const apply = (): Tensor => (c.op === 'add' ? tf.add(x, y) : c.op === 'mul' ? tf.mul(x, y) : c.op === 'tanh' ? tf.tanh(x) : tf.exp(x));
      return {
        step: async () => ({ kind: 'tensor', data: await readBack(apply()), shape: [c.rows, c.cols] }),
        dispose: () => tf.dispose([x, y]),
      } satisfies PreparedCase;
    },
    async reduce(c, d) {
      const tf = await useTfjsBackend(backend);
      const x = tf.tensor2d(d.x, [c.rows, c.cols]);
      return {
        step: async () => ({ kind: 'tensor', data: await readBack(c.op === 'sum' ? tf.sum(x, c.axis) : tf.max(x, c.axis)), shape: [c.axis === 1 ? c.rows : c.cols] }),
        dispose: () => x.dispose(),
      } satisfies PreparedCase;
    },
    async layer_grad(c, d) {
      if (c.layer !== 'transformer' || d.layer !== 'transformer') {
        throw new UnsupportedCaseError('tfjs has no OrthogonalRNN / Björck orthogonalization (no peer runs this layer)');
      }
      const tf = await useTfjsBackend(backend);
      const b = d.block;
      const p = tfTransformerParams(tf, b);
      const x = tf.tensor2d(b.x, [b.B * b.S, b.D]);
      const target = tf.tensor2d(b.target, [b.B * b.S, b.D]);
      const vars = Object.values(p);
      return {
        async step() {
          const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(tfTransformerBlock(tf, b, p, x), target))) as import('@tensorflow/tfjs').Scalar, vars);
          const dot = tf.tidy(() => tf.addN(vars.map((v) => tf.sum(tf.mul(grads[v.name]!, v)))));
          const [loss, gradDot] = [(await readBack(value))[0]!, (await readBack(dot))[0]!];
          tf.dispose(Object.values(grads));
          return { kind: 'loss', loss, gradDot };
        },
        dispose: () => tf.dispose([x, target, ...vars]),
      } satisfies PreparedCase;
    },
  };
}
