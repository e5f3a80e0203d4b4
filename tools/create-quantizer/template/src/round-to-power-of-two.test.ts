import { defaultRuntime, tensor } from '@nibble/core';
import { cpu } from '@nibble/backend-cpu';
import { builtinQuantizers, createQuantizerRegistry } from '@nibble/quantizers';
import { describeQuantizerConformance } from '@nibble/quant-testkit';
import { describe, expect, it } from 'vitest';
import { powerOfTwo, powerOfTwoScale } from './index.js';

if (!defaultRuntime.registered().includes('cpu')) defaultRuntime.register(cpu);

// Every invariant of the quantizer spec that these declarations imply: on-grid, error bound, q(0) = 0, monotone,
// idempotent, symmetric, identity STE gradient, export round trip, size formula, state round trip, no leaks.
describeQuantizerConformance(powerOfTwo, {
  config: (bits) => ({ bits }),
  bits: [2, 4, 8],
  grid: 'uniform',
  symmetric: true,
  gradient: 'ste-identity',
  exportable: true,
  badConfigs: [
    { config: { bits: 1 }, field: 'bits' },
    { config: { bits: 4, scale: 2 }, field: 'scale' },
  ],
});

describe('__PLUGIN_ID__', () => {
  it('the scale is the smallest power of two that covers max|w|', () => {
    expect(powerOfTwoScale(7, 7)).toBe(1);
    expect(powerOfTwoScale(7.5, 7)).toBe(2);
    expect(powerOfTwoScale(0.3, 127)).toBe(2 ** -8);
    expect(powerOfTwoScale(0, 7)).toBe(1);
  });

  it('registers under its namespaced id and exports 4-bit codes with a power-of-two scale', () => {
    const registry = createQuantizerRegistry({ plugins: [...builtinQuantizers, powerOfTwo] });
    expect(registry.ids()).toContain('__PLUGIN_ID__');
    const w = tensor([0.5, -0.25, 0.3, 0.9, -1.2, 0, 0.05, 0.7], { shape: [2, 4] });
    const q = registry.create('__PLUGIN_ID__', { bits: 4 }, { shape: w.shape, role: 'weight', runtime: defaultRuntime });
    const packed = q.export(w);
    expect(Array.from(packed.tables)).toEqual([0.25]); // max|w| = 1.2 ≤ 7 · 0.25
    expect(packed.codes.length).toBe(4); // 8 codes × 4 bits
    expect(q.sizeBits(w.shape)).toBe(8 * 4 + 32);
    const wq = q.forward(w, { training: false, step: 0, epoch: 0, key: { seed: 0, stream: 0, counter: 0 } });
    expect(Array.from(wq.dataSync())).toEqual([0.5, -0.25, 0.25, 1, -1.25, 0, 0, 0.75]);
    for (const t of [w, wq]) t.dispose();
    q[Symbol.dispose]();
  });
});
