import { defaultRuntime } from '@nibble/core';
import { describe, expect, it } from 'vitest';
import '../test/setup.ts';
import { builtinQuantizers, defaultRegistry } from './builtins/index.ts';
import { ste } from './builtins/ste.ts';
import { QuantizerConfigError, QuantizerRegistryError } from './errors.ts';
import { createQuantizerRegistry } from './registry.ts';
import type { QuantizerPlugin } from './spi.ts';

const ctx = { shape: [4, 4], role: 'weight' as const, runtime: defaultRuntime };
const thirdParty = (id: string): QuantizerPlugin<{ bits: number }> => ({ id, apiVersion: 1, parseConfig: () => ({ bits: 4 }), create: (c, x) => ste.create(ste.parseConfig(c), x) });

describe('quantizer registry', () => {
  it('defaultRegistry holds the built-ins', () => {
    expect(defaultRegistry.ids()).toEqual(['ste', 'lsq', 'lsq+', 'quant-noise', 'quant-noisier', 'rand', 'pq']);
    expect(builtinQuantizers.length).toBe(7);
  });

  it('createQuantizerRegistry() starts empty and accepts namespaced third-party ids', () => {
    const r = createQuantizerRegistry();
    expect(r.ids()).toEqual([]);
    r.register(thirdParty('acme/round'));
    expect(r.create('acme/round', {}, ctx).sizeBits([4, 4])).toBe(16 * 4 + 32);
  });

  it('refuses duplicate ids, bare third-party ids and other api versions', () => {
    const r = createQuantizerRegistry({ plugins: builtinQuantizers });
    expect(() => r.register(ste)).toThrow(QuantizerRegistryError);
    expect(() => r.register(ste)).toThrow(/already registered/);
    expect(() => r.register(thirdParty('round'))).toThrow(/not namespaced.*scope\/name/);
    expect(() => r.register(thirdParty('ste'))).toThrow(/not namespaced/);
    r.register(thirdParty('acme/x'));
    expect(() => r.register(thirdParty('acme/x'))).toThrow(/already registered/);
    expect(() => r.register({ ...thirdParty('acme/y'), apiVersion: 2 } as unknown as QuantizerPlugin)).toThrow(/apiVersion 2; expected 1/);
    // a refused registration changes nothing: same ids, the first plugin still answers its id
    const impostor = { ...thirdParty('acme/x'), create: () => { throw new Error('the impostor must never be used'); } };
    expect(() => r.register(impostor)).toThrow(/a quantizer with id 'acme\/x' is already registered/);
    expect(r.ids()).toEqual([...builtinQuantizers.map((p) => p.id), 'acme/x']);
    expect(r.get('ste')).toBe(ste);
    expect(r.create('acme/x', {}, ctx).sizeBits([4, 4])).toBe(16 * 4 + 32);
  });

  it('unknown ids list the registered ids; invalid configs name the field', () => {
    expect(() => defaultRegistry.create('lsqq', { bits: 4 }, ctx)).toThrow(/unknown quantizer id 'lsqq'; registered: ste, lsq, lsq\+, quant-noise/);
    expect(() => defaultRegistry.create('lsq', { bits: 12 }, ctx)).toThrow(QuantizerConfigError);
    expect(() => defaultRegistry.create('lsq', { bits: 12 }, ctx)).toThrow(/field 'bits' = 12/);
  });

  it('§8 sizes of STE: symmetric N·b + 32·G, affine N·b + G·(32 + b), binary N + 32·G', () => {
    expect(defaultRegistry.create('ste', { bits: 4 }, ctx).sizeBits([4, 4])).toBe(64 + 32);
    expect(defaultRegistry.create('ste', { bits: 4, scheme: 'affine', granularity: 'channel' }, ctx).sizeBits([4, 4])).toBe(64 + 4 * 36);
    expect(defaultRegistry.create('ste', { bits: 1 }, ctx).sizeBits([4, 4])).toBe(16 + 32);
  });
});
