import { describe, expect, it } from 'vitest';
import { BenchUsageError } from '../errors.js';
import { parseBenchOptions } from './parse-options.js';

describe('parseBenchOptions', () => {
  it('defaults to the quick suite, every backend and peer', () => {
    const o = parseBenchOptions([]);
    expect(o.suite).toBe('quick');
    expect(o.backends).toEqual(['cpu', 'native', 'webgpu', 'cuda']);
    expect(o.peers).toEqual(['tfjs-cpu', 'tfjs-wasm', 'tfjs-webgpu', 'tfjs-node', 'ort', 'torch', 'jax']);
    expect(o.repeat).toBeNull();
  });

  it('accepts lists, none, the pnpm "--" separator and --repeat', () => {
    const o = parseBenchOptions(['--', '--suite', 'train', '--peer', 'ort,tfjs-wasm', '--backend', 'none', '--repeat', '4', '--size', 'small']);
    expect(o).toMatchObject({ suite: 'train', peers: ['tfjs-wasm', 'ort'], backends: [], repeat: 4, size: 'small' });
  });

  it('rejects an unknown suite, listing the valid ones', () => {
    expect(() => parseBenchOptions(['--suite', 'fast'])).toThrow(BenchUsageError);
    expect(() => parseBenchOptions(['--suite', 'fast'])).toThrow(/unknown value "fast"; valid values: quick, ops, layers, train, quant, all/);
  });

  it('rejects an unknown peer inside a list, listing the valid ones', () => {
    expect(() => parseBenchOptions(['--peer', 'ort,mxnet'])).toThrow(/--peer: unknown value "mxnet"; valid values: tfjs-cpu, .*jax, all, none/);
  });

  it('rejects an unknown option, listing the valid ones', () => {
    expect(() => parseBenchOptions(['--threads', '2'])).toThrow(/Unknown option '--threads'.*Valid options: --suite, --backend/);
  });

  it('rejects a non-positive --repeat', () => {
    expect(() => parseBenchOptions(['--repeat', '0'])).toThrow(/--repeat: "0" is not a positive integer/);
  });
});
