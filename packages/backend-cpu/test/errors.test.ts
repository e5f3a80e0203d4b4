// Bad input gets an error naming what was given and what was expected; nothing leaks and nothing half-built remains.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  AxisError, BackendError, createRuntime, DisposedError, DTypeError, ShapeError, tensor, matmul, scope, zeros, concat, randomUniform, stack, split, gather,
} from '@nibble/core';
import { cpu, cpuFactory } from '../src/index.ts';

const runtime = createRuntime({ backends: [cpuFactory()] });
const on = { runtime };

function expectNoLeak(fn: () => void, error: new (...a: never[]) => Error, message: RegExp): void {
  const before = runtime.memory();
  expect(fn).toThrow(error);
  expect(fn).toThrow(message);
  expect(runtime.memory()).toEqual(before);
}

describe('errors', () => {
  const a = zeros([32, 64], on);
  const b = zeros([65, 16], on);
  it('matmul inner dimension mismatch names both shapes', () => {
    expectNoLeak(() => matmul(a, b), ShapeError, /matmul: inner dimensions differ: \[32,64\] x \[65,16\] \(64 ≠ 65\)/);
  });
  it('broadcast mismatch', () => {
    const x = zeros([2, 3], on);
    const y = zeros([4], on);
    expectNoLeak(() => x.add(y), ShapeError, /shapes \[2,3\] and \[4\] cannot be broadcast/);
  });
  it('dtype mismatch', () => {
    const f = tensor([1, 2], on);
    const i = tensor(new Int32Array([1, 2]), on);
    expectNoLeak(() => f.add(i), DTypeError, /dtypes differ: float32 vs int32/);
  });
  it('axis out of range', () => {
    expectNoLeak(() => a.sum(2), AxisError, /axis 2 is out of range for rank 2; expected an integer in \[-2, 1\]/);
    expectNoLeak(() => concat([a, a], -3), AxisError, /axis -3/);
  });
  it('every op taking an axis names itself, the axis, the rank and the valid range (composites too); nothing leaks', () => {
    const x = zeros([2, 3], on);
    const idx = tensor(new Int32Array([0]), on);
    const cases: [string, () => unknown, string][] = [
      ['sum', () => x.sum(2), 'axis 2 is out of range for rank 2; expected an integer in [-2, 1]'],
      ['max', () => x.max(-3), 'axis -3 is out of range for rank 2'],
      ['min', () => x.min(2), 'axis 2 is out of range for rank 2'],
      ['mean', () => x.mean(5), 'axis 5 is out of range for rank 2'],
      ['variance', () => x.variance(2), 'axis 2 is out of range for rank 2'],
      ['softmax', () => x.softmax(2), 'axis 2 is out of range for rank 2'],
      ['logSoftmax', () => x.logSoftmax(-3), 'axis -3 is out of range for rank 2'],
      ['logSumExp', () => x.logSumExp(2), 'axis 2 is out of range for rank 2'],
      ['argmax', () => x.argmax(2), 'axis 2 is out of range for rank 2'],
      ['concat', () => concat([x, x], 2), 'axis 2 is out of range for rank 2'],
      ['stack', () => stack([x, x], 4), 'axis 4 is out of range for rank 3; expected an integer in [-3, 2]'],
      ['split', () => split(x, 2, 2), 'axis 2 is out of range for rank 2'],
      ['transpose', () => x.transpose(0, 2), 'axis 2 is out of range for rank 2'],
      ['unsqueeze', () => x.unsqueeze(4), 'axis 4 is out of range for rank 3'],
      ['squeeze', () => x.squeeze(2), 'axis 2 is out of range for rank 2'],
      ['gather', () => gather(x, idx, 2), 'axis 2 is out of range for rank 2'],
      ['sum', () => x.sum([0, 0]), 'repeated axis in [0,0]'],
    ];
    for (const [op, fn, message] of cases) expectNoLeak(fn, AxisError, new RegExp(`^${op}: ${message.replace(/[[\]().,-]/g, '\\$&')}`));
  });
  it('use of a disposed tensor', () => {
    const x = tensor([1, 2, 3], on);
    x.dispose();
    expect(() => x.add(1)).toThrow(DisposedError);
    expect(() => x.add(1)).toThrow(/tensor #\d+ \(float32\[3\]\) was disposed/);
    expect(() => x.dataSync()).toThrow(DisposedError);
  });
  it('reshape to a different size', () => {
    expectNoLeak(() => a.reshape([7, -1]), ShapeError, /cannot reshape \[32,64\] \(2048 elements\) into \[7,-1\]/);
  });
  it('ragged nested arrays and bad shapes', () => {
    expect(() => tensor([[1, 2], [3]] as number[][], on)).toThrow(ShapeError);
    expect(() => tensor([1, 2, 3], { ...on, shape: [2, 2] })).toThrow(/got 3 values for shape \[2,2\]; expected 4/);
    expect(() => zeros([2, -1], on)).toThrow(/invalid shape/);
  });
  it('random keys out of range', () => {
    expect(() => randomUniform([2], { seed: -1, stream: 0, counter: 0 }, 0, 1, on)).toThrow(/seed -1/);
  });
  it('registering a backend name twice throws; unknown backend lists the registered ones', () => {
    const rt = createRuntime({ backends: [cpu] });
    expect(() => rt.register(cpu)).toThrow(BackendError);
    expect(() => rt.backend('webgpu')).toThrow(/'webgpu' is not registered; registered: cpu/);
    expect(() => createRuntime().backend()).toThrow(/no backend registered/);
  });
  it('fuzz: random shape pairs either work or throw a NibbleError, never leak', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 }), fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 }), (sa, sb) => {
        const before = runtime.memory();
        try {
          scope(() => {
            zeros(sa, on).add(zeros(sb, on));
          });
        } catch (e) {
          expect(e).toBeInstanceOf(ShapeError);
        }
        expect(runtime.memory()).toEqual(before);
      }),
    );
  });
});
