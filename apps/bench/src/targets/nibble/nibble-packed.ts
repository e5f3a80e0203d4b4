// packed_infer on a nibble session: Linear → ReLU → Linear with float weights, or quantized (STE int8 / int4 per
// channel, PQ), exported with exportQuantized and run by loadQuantized on packedMatmul. Before timing, the packed
// output must equal the fake-quant eval output of the prepared model (1e-5 of its largest entry).
import type { PackedInferCase } from '../../cases/suite-cases.js';
import { transpose, type PackedInferData } from '../../cases/suite-data.js';
import type { CheckResult } from '../../run/output-checks.js';
import type { PreparedCase } from '../bench-target.js';
import { loadModelKit, type NibbleModelKit, type NibbleSession } from './load-nibble.js';

type Tensor = import('@nibble/core').Tensor;
type Sequential = import('@nibble/layers').Sequential;

/** Tolerance of the packed-vs-fake-quant check: max |packed − fake-quant| / max(1, max |fake-quant|). */
export const PACKED_TOLERANCE = 1e-5;

function buildMlp(s: NibbleSession, kit: NibbleModelKit, c: PackedInferCase, d: PackedInferData): Sequential {
  const { core, runtime } = s;
  const { layers } = kit;
  const model = new layers.Sequential(
    new layers.Linear(c.K, c.hidden, { runtime, seed: 0 }),
    new layers.ReLU(),
    new layers.Linear(c.hidden, c.N, { runtime, seed: 1 }),
  );
  const t = (data: Float32Array, shape: number[]): Tensor => core.tensor(data, { runtime, shape });
  model.assign({
    '0.weight': t(transpose(d.w1, c.K, c.hidden), [c.hidden, c.K]),
    '0.bias': t(new Float32Array(c.hidden), [c.hidden]),
    '2.weight': t(transpose(d.w2, c.hidden, c.N), [c.N, c.hidden]),
    '2.bias': t(new Float32Array(c.N), [c.N]),
  });
  return model.eval();
}

async function host(t: Tensor): Promise<Float32Array> {
  try {
    const v = await t.data();
    return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
  } finally {
    t.dispose();
  }
}

/** Compares the packed model's output with the fake-quant eval output of the prepared float model. */
export function checkPackedAgainstFakeQuant(packed: Float32Array, fakeQuant: Float32Array, executions: readonly string[]): CheckResult {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < fakeQuant.length; i++) {
    const diff = Math.abs((packed[i] ?? NaN) - (fakeQuant[i] as number));
    maxDiff = Number.isNaN(diff) ? Infinity : Math.max(maxDiff, diff);
    maxRef = Math.max(maxRef, Math.abs(fakeQuant[i] as number));
  }
  const relError = packed.length === fakeQuant.length ? maxDiff / Math.max(1, maxRef) : Infinity;
  const allPacked = executions.length > 0 && executions.every((e) => e === 'packedMatmul');
  return {
    name: 'packed output vs fake-quant eval output',
    ok: allPacked && relError <= PACKED_TOLERANCE,
    relError,
    tolerance: PACKED_TOLERANCE,
    detail: `max |diff| ${maxDiff.toExponential(2)} (max |fake-quant| ${maxRef.toExponential(2)}); weights run as ${executions.join(', ') || 'nothing packed'}`,
  };
}

/** packed_infer: the float model (f32), or the loaded packed model; forward of x, output read back. */
export async function nibblePackedInfer(s: NibbleSession, c: PackedInferCase, d: PackedInferData): Promise<PreparedCase> {
  const kit = await loadModelKit();
  const { quantizers } = kit;
  const x = s.core.tensor(d.x, { runtime: s.runtime, shape: [c.batch, c.K] });
  const shape = [c.batch, c.N];
  if (c.quantizer === null) {
    const model = buildMlp(s, kit, c, d);
    return {
      step: async () => ({ kind: 'tensor', data: await host(model.forward(x)), shape }),
      dispose: () => {
        model.dispose();
        x.dispose();
      },
    };
  }
  const source = buildMlp(s, kit, c, d);
  const qat = quantizers.prepareQat(source, [{ pattern: '*.weight', quantizer: c.quantizer.id, config: c.quantizer.config }]);
  let exported: Uint8Array;
  let fakeQuant: Float32Array;
  try {
    quantizers.calibrate(source, [x], (m, b) => m.forward(b));
    source.eval();
    fakeQuant = await host(s.core.noGrad(() => source.forward(x)));
    exported = quantizers.exportQuantized(source, qat).bytes;
  } finally {
    qat.detach();
    source.dispose();
  }
  const model = buildMlp(s, kit, c, d);
  const loaded = quantizers.loadQuantized(exported, model);
  const packed = await host(model.forward(x));
  const check = checkPackedAgainstFakeQuant(packed, fakeQuant, [...loaded.weights.values()].map((w) => w.execution));
  return {
    checks: [check],
    step: async () => ({ kind: 'tensor', data: await host(model.forward(x)), shape }),
    dispose: () => {
      loaded.unload();
      model.dispose();
      x.dispose();
    },
  };
}
