// The elementwise and reduction cases on a nibble session, through @nibble/core's public ops.
import type { ElementwiseCase, ReduceCase } from '../../cases/suite-cases.js';
import type { ElementwiseData, ReduceData } from '../../cases/suite-data.js';
import type { PreparedCase } from '../bench-target.js';
import type { NibbleSession } from './load-nibble.js';

type Tensor = import('@nibble/core').Tensor;

async function readBack(t: Tensor): Promise<Float32Array> {
  try {
    const data = await t.data();
    return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
  } finally {
    t.dispose();
  }
}

/** elementwise: x op y (y[cols] broadcast over rows) or op(x), output read back. */
export async function nibbleElementwise(s: NibbleSession, c: ElementwiseCase, d: ElementwiseData): Promise<PreparedCase> {
  const { core, runtime } = s;
  const x = core.tensor(d.x, { runtime, shape: [c.rows, c.cols] });
  const y = core.tensor(d.y, { runtime, shape: [c.cols] });
  const apply = (): Tensor => (c.op === 'add' ? x.add(y) : c.op === 'mul' ? x.mul(y) : c.op === 'tanh' ? x.tanh() : x.exp());
  return {
    step: async () => ({ kind: 'tensor', data: await readBack(apply()), shape: [c.rows, c.cols] }),
    dispose: () => {
      x.dispose();
      y.dispose();
    },
  };
}

/** reduce: sum or max over one axis, output read back. */
export async function nibbleReduce(s: NibbleSession, c: ReduceCase, d: ReduceData): Promise<PreparedCase> {
  const { core, runtime } = s;
  const x = core.tensor(d.x, { runtime, shape: [c.rows, c.cols] });
  const out = [c.axis === 1 ? c.rows : c.cols];
  return {
    step: async () => ({ kind: 'tensor', data: await readBack(c.op === 'sum' ? x.sum(c.axis) : x.max(c.axis)), shape: out }),
    dispose: () => x.dispose(),
  };
}
