// Every differentiable primitive and composite against float64 central differences, on ≥ 100 random cases each.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as nb from '@nibble/core';
import { createRuntime, type Tensor } from '@nibble/core';
import { gradcheck } from '@nibble/core/testing';
import { cpuFactory } from '../src/index.ts';

const runtime = createRuntime({ backends: [cpuFactory()] });
const reference = createRuntime({ backends: [cpuFactory({ precision: 'float64' })] });
const NUM_RUNS = 100;

/** Values away from 0 (kinks of abs/relu/sign) and in a range where float32 gradients are well conditioned. */
const smooth = fc.double({ min: 0.2, max: 2, noNaN: true }).chain((m) => fc.boolean().map((neg) => (neg ? -m : m)));
const positive = fc.double({ min: 0.3, max: 3, noNaN: true });
const shape = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 });
const valuesFor = (s: number[], arb: fc.Arbitrary<number>) => fc.array(arb, { minLength: s.reduce((a, d) => a * d, 1), maxLength: s.reduce((a, d) => a * d, 1) });

/** Weighted sum with fixed pseudo-random weights so every output element's gradient matters. */
function weighted(y: Tensor): Tensor {
  const w = nb.tensorLike(y, Array.from({ length: y.size }, (_, i) => 0.3 + ((i * 7919) % 13) / 10), y.shape, 'float32');
  const s = y.mul(w).sum();
  w.dispose();
  return s;
}

function checkUnary(name: string, f: (x: Tensor) => Tensor, arb = smooth): void {
  it(`${name}: gradcheck`, () => {
    fc.assert(
      fc.property(shape.chain((s) => fc.tuple(fc.constant(s), valuesFor(s, arb))), ([s, v]) => {
        const r = gradcheck((x) => weighted(f(x)), [{ shape: s, values: v }], { runtime, reference });
        expect(r.ok, r.message).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });
}

function checkBinary(name: string, f: (a: Tensor, b: Tensor) => Tensor, arbA = smooth, arbB = smooth): void {
  it(`${name}: gradcheck with broadcasting`, () => {
    fc.assert(
      fc.property(
        shape.chain((s) => fc.tuple(fc.constant(s), fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }))).chain(([s, ones]) => {
          const sb = s.map((d, i) => (ones[i] ? 1 : d));
          return fc.tuple(fc.constant(s), fc.constant(sb), valuesFor(s, arbA), valuesFor(sb, arbB));
        }),
        ([sa, sb, va, vb]) => {
          const r = gradcheck((a, b) => weighted(f(a!, b!)), [{ shape: sa, values: va }, { shape: sb, values: vb }], { runtime, reference });
          expect(r.ok, r.message).toBe(true);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
}

describe('gradcheck: unary primitives', () => {
  checkUnary('neg', nb.neg);
  checkUnary('abs', nb.abs);
  checkUnary('exp', nb.exp);
  checkUnary('log', nb.log, positive);
  checkUnary('sqrt', nb.sqrt, positive);
  checkUnary('tanh', nb.tanh);
  checkUnary('sigmoid', nb.sigmoid);
  checkUnary('erf', nb.erf);
  checkUnary('sin', nb.sin);
  checkUnary('cos', nb.cos);
});

describe('gradcheck: binary primitives', () => {
  checkBinary('add', nb.add);
  checkBinary('sub', nb.sub);
  checkBinary('mul', nb.mul);
  checkBinary('div', nb.div);
  checkBinary('pow', nb.pow, positive, smooth);
  // distinct values (a ≠ b) so the max/min is not at a tie
  checkBinary('maximum', (a, b) => nb.maximum(a, b.add(0.05)), smooth, smooth);
  checkBinary('minimum', (a, b) => nb.minimum(a, b.add(0.05)), smooth, smooth);
  checkBinary('where', (a, b) => {
    const c = nb.gt(a, 0);
    const y = nb.where(c, a.mul(2), b.square());
    c.dispose();
    return y;
  });
});

describe('gradcheck: reductions, movement and capabilities', () => {
  checkUnary('sum over an axis', (x) => x.sum(-1));
  checkUnary('max over an axis (distinct values)', (x) => x.add(nb.tensorLike(x, Array.from({ length: x.size }, (_, i) => i * 1e-2), x.shape, 'float32')).max(0));
  checkUnary('reshape + permute', (x) => x.reshape([-1]).reshape([x.size, 1]).transpose(0, 1));
  checkUnary('slice', (x) => x.slice(x.shape.map(() => 0), x.shape.map((d) => Math.max(1, d - 1))));
  checkUnary('expand', (x) => x.expand([2, ...x.shape]));
  checkUnary('pad', (x) => nb.pad(x, x.shape.map(() => [1, 2] as const), 3));
  checkUnary('concat', (x) => nb.concat([x, x.mul(2)], 0));
  checkUnary('stack + split', (x) => nb.stack(nb.split(nb.concat([x, x.exp()], 0), 2, 0), 1));
  checkBinary('matmul (batched, broadcast)', (a, b) => a.reshape([-1, 1]).matmul(b.reshape([1, -1])));
  checkUnary('matmul with transposed operand', (x) => x.reshape([x.shape[0]!, -1]).matmul(x.reshape([x.shape[0]!, -1]).transpose()));
  checkUnary('sum and max over several axes with keepDims', (x) => {
    const distinct = x.add(nb.tensorLike(x, Array.from({ length: x.size }, (_, i) => i * 1e-2), x.shape, 'float32'));
    const axes = x.shape.map((_, i) => i).filter((i) => i % 2 === 0);
    return distinct.sum(axes, true).mul(distinct.max(axes, true)).add(distinct.square()); // keepDims broadcasts back
  });
  checkUnary('squeeze + unsqueeze', (x) => x.unsqueeze(0).unsqueeze(-1).mul(3).squeeze([0, -1]));
  checkUnary('copy of a non-contiguous view (clone, contiguous)', (x) => x.expand([2, ...x.shape]).transpose(0, -1).clone().mul(nb.contiguous(x.expand([2, ...x.shape]).transpose(0, -1))));
  checkUnary('cast float32 → float32', (x) => x.cast('float32').mul(x));
  checkUnary('scatterAdd (gradient of the updates, repeated indices)', (x) => {
    const rows = x.shape[0]!;
    const idx = nb.tensorLike(x, Array.from({ length: rows }, (_, i) => (i * 2) % Math.max(1, rows - 1)), [rows], 'int32');
    const y = nb.scatterAdd(idx, x, [Math.max(1, rows - 1), ...x.shape.slice(1)], 0);
    idx.dispose();
    return y.square();
  });
  checkUnary('gather + scatterAdd', (x) => {
    const idx = nb.tensorLike(x, [0, 0, x.shape[0]! - 1], [3], 'int32');
    const y = nb.gather(x, idx, 0);
    idx.dispose();
    return y;
  });
});

describe('gradcheck: composites', () => {
  checkUnary('softmax', (x) => x.softmax(-1));
  checkUnary('logSoftmax', (x) => x.logSoftmax(-1));
  checkUnary('logSumExp', (x) => x.logSumExp(-1));
  checkUnary('mean', (x) => x.mean(0));
  checkUnary('variance', (x) => x.variance(-1));
  checkUnary('relu', nb.relu);
  checkUnary('gelu', nb.gelu);
  checkUnary('square', nb.square);
  checkUnary('rsqrt', nb.rsqrt, positive);
  checkUnary('clamp (inside the range)', (x) => nb.clamp(x, -5, 5));
  checkUnary('min over an axis', (x) => x.add(nb.tensorLike(x, Array.from({ length: x.size }, (_, i) => i * 1e-2), x.shape, 'float32')).min(-1));
});

describe('gradcheck: the lstmSequence capability (fused forward and BPTT kernels)', () => {
  const dims = fc.record({ b: fc.integer({ min: 1, max: 2 }), t: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 1, max: 3 }) });
  const vals = (n: number) => fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: n, maxLength: n });
  it('lstmSequence: gradcheck of xProj, Wh, h0 and c0', () => {
    fc.assert(
      fc.property(
        dims.chain(({ b, t, h }) => fc.record({ b: fc.constant(b), t: fc.constant(t), h: fc.constant(h), xp: vals(b * t * 4 * h), wh: vals(h * 4 * h), h0: vals(b * h), c0: vals(b * h) })),
        (c) => {
          const r = gradcheck(
            (xp, wh, h0, c0) => weighted(nb.lstmSequence(xp!, wh!, h0!, c0!)),
            [
              { shape: [c.b, c.t, 4 * c.h], values: c.xp },
              { shape: [c.h, 4 * c.h], values: c.wh },
              { shape: [c.b, c.h], values: c.h0 },
              { shape: [c.b, c.h], values: c.c0 },
            ],
            { runtime, reference },
          );
          expect(r.ok, r.message).toBe(true);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
