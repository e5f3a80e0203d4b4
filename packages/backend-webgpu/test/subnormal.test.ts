// SwiftShader (and other adapters WGSL allows) flush subnormals to zero in arithmetic; the backend keeps them, like the
// CPU reference. Checked bit for bit against JavaScript's float64 arithmetic rounded once to float32 (for + − × ÷ of
// float32 operands that double rounding is innocuous: 53 ≥ 2·24 + 2), on operands drawn around the subnormal range.
import { createRuntime, tensor, add, sub, mul, div, sqrt, type Runtime, type Tensor } from '@nibble/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webgpu } from '../src/index.ts';
import { webgpuAvailability } from './setup.ts';

const { run, reason } = await webgpuAvailability();

const bits = new Uint32Array(1);
const asFloat = new Float32Array(bits.buffer);
function fromBits(b: number): number {
  bits[0] = b >>> 0;
  return asFloat[0]!;
}

/** Floats around the subnormal range: subnormals, normals just above 2^-126, small and ordinary normals, specials. */
const arbEdgeFloat = fc.oneof(
  fc.integer({ min: 1, max: 0x7fffff }).map((m) => fromBits(m)),
  fc.integer({ min: 0x00800000, max: 0x02000000 }).map((m) => fromBits(m)),
  fc.integer({ min: 0x0d000000, max: 0x1f000000 }).map((m) => fromBits(m)),
  fc.integer({ min: 0x30000000, max: 0x4f000000 }).map((m) => fromBits(m)),
  fc.constantFrom(0, -0, Infinity, -Infinity, NaN, 1, 0.5, 2 ** 126, 2 ** 127, Math.fround(3e38)),
).chain((v) => fc.boolean().map((neg) => (neg ? -v : v)));

function same(a: number, b: number): boolean {
  return (Number.isNaN(a) && Number.isNaN(b)) || a === b;
}

describe.skipIf(!run)(`subnormal-exact arithmetic${run ? '' : ` (skipped: ${reason})`}`, () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = createRuntime({ backends: [webgpu] });
    await rt.use('webgpu');
  });
  afterAll(() => rt?.[Symbol.dispose]());

  const ops: [string, (a: Tensor, b: Tensor) => Tensor, (a: number, b: number) => number][] = [
    ['add', add, (a, b) => a + b],
    ['sub', sub, (a, b) => a - b],
    ['mul', mul, (a, b) => a * b],
    ['div', div, (a, b) => a / b],
  ];
  for (const [name, op, f] of ops) {
    it(`${name} rounds once to float32, subnormals included`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.noShrink(fc.array(fc.tuple(arbEdgeFloat, arbEdgeFloat), { minLength: 500, maxLength: 500 })), async (pairs) => {
          const a = tensor(pairs.map((p) => p[0]), { runtime: rt });
          const b = tensor(pairs.map((p) => p[1]), { runtime: rt });
          const c = op(a, b);
          const got = await c.data();
          [a, b, c].forEach((t) => t.dispose());
          pairs.forEach(([x, y], i) => {
            const want = Math.fround(f(x, y));
            if (!same(got[i]!, want)) expect.fail(`${name}(${x}, ${y}) = ${got[i]}, expected ${want}`);
          });
        }),
        { numRuns: 20, endOnFailure: true },
      );
    });
  }

  it('sqrt of subnormals is correctly rounded', async () => {
    const xs = Array.from({ length: 2000 }, (_, i) => fromBits(1 + i * 4191));
    const x = tensor(xs, { runtime: rt });
    const y = sqrt(x);
    const got = await y.data();
    [x, y].forEach((t) => t.dispose());
    xs.forEach((v, i) => expect(got[i], `sqrt(${v})`).toBe(Math.fround(Math.sqrt(v))));
  });
});
