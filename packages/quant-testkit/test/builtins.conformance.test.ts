import { createRuntime, defaultRuntime } from '@nibble/core';
import { cpu, cpuFactory } from '@nibble/backend-cpu';
import { lsq, lsqPlus, pq, quantNoise, quantNoisier, rand, ste } from '@nibble/quantizers';
import { describeQuantizerConformance } from '../src/index.ts';

if (!defaultRuntime.registered().includes('cpu')) defaultRuntime.register(cpu);
const reference = createRuntime({ backends: [cpuFactory({ precision: 'float64' })] });

describeQuantizerConformance(ste, {
  name: 'ste symmetric narrow per-tensor',
  minmaxCalibrated: true,
  config: (bits) => ({ bits }),
  bits: [2, 3, 4, 8],
  grid: 'uniform',
  symmetric: true,
  gradient: 'ste-clipped',
  exportable: true,
  badConfigs: [{ config: { bits: 4, granularity: 'row' }, field: 'granularity' }],
});

describeQuantizerConformance(ste, {
  name: 'ste affine per-channel identity',
  minmaxCalibrated: true,
  config: (bits) => ({ bits, scheme: 'affine', granularity: 'channel', steMode: 'identity' }),
  bits: [2, 4, 5, 8],
  grid: 'uniform',
  gradient: 'ste-identity',
  exportable: true,
});

describeQuantizerConformance(ste, {
  name: 'ste symmetric full per-channel mse',
  config: (bits) => ({ bits, range: 'full', granularity: 'channel', observer: 'mse' }),
  bits: [3, 4, 8],
  grid: 'uniform',
  gradient: 'ste-clipped',
  exportable: true,
});

describeQuantizerConformance(ste, {
  name: 'ste symmetric full per-tensor (PyTorch qint8 convention)',
  config: (bits) => ({ bits, range: 'full' }),
  bits: [2, 4, 8],
  grid: 'uniform',
  minmaxCalibrated: true,
  gradient: 'ste-clipped',
  exportable: true,
});

describeQuantizerConformance(ste, {
  name: 'ste binary (b = 1)',
  config: (bits) => ({ bits, granularity: 'channel' }),
  bits: [1],
  grid: 'binary',
  symmetric: true,
  gradient: 'ste-clipped',
  exportable: true,
  badConfigs: [{ config: { bits: 1, binaryScale: 'median' }, field: 'binaryScale' }],
});

const lsqOptions = {
  qn: (b: number) => 2 ** (b - 1),
  qp: (b: number) => 2 ** (b - 1) - 1,
  gradScale: (shape: readonly number[], b: number) => 1 / Math.sqrt(shape.reduce((a, d) => a * d, 1) * (2 ** (b - 1) - 1)),
};

describeQuantizerConformance(lsq, {
  config: (bits) => ({ bits }),
  bits: [2, 3, 4, 8],
  grid: 'uniform',
  gradient: 'lsq-surrogate',
  lsq: lsqOptions,
  reference,
  exportable: true,
  badConfigs: [{ config: { bits: 4, gradScale: -1 }, field: 'gradScale' }],
});

describeQuantizerConformance(lsq, {
  name: 'lsq binary (b = 1)',
  config: (bits) => ({ bits }),
  bits: [1],
  grid: 'binary',
  symmetric: true,
  gradient: 'none',
  exportable: true,
  badConfigs: [{ config: { bits: 1, minStep: 0 }, field: 'minStep' }],
});

describeQuantizerConformance(lsqPlus, {
  config: (bits) => ({ bits }),
  bits: [2, 4, 8],
  grid: 'uniform',
  gradient: 'none',
  exportable: true,
  badConfigs: [{ config: { bits: 1 }, field: 'bits' }],
});

/** What Quant-Noise's scalar variant and every Quant-Noisier variant share: a random mix of w and its 4/8-bit grid. */
const stochasticScalarGrid = {
  minmaxCalibrated: true,
  bits: [4, 8],
  grid: 'uniform',
  symmetric: true,
  gradient: 'ste-identity',
  stochastic: true,
  exportable: true,
} as const;

describeQuantizerConformance(quantNoise, {
  name: 'quant-noise scalar',
  ...stochasticScalarGrid,
  config: (bits) => ({ variant: 'scalar', p: 0.5, target: { bits } }),
  noise: { config: (p) => ({ variant: 'scalar', p, target: { bits: 4 } }), atOne: 'eval' },
  badConfigs: [{ config: { variant: 'scalar', p: 1.5 }, field: 'p' }, { config: { variant: 'pq', p: 0.1 }, field: 'variant' }],
});

describeQuantizerConformance(quantNoise, {
  name: 'quant-noise proxy',
  config: () => ({ variant: 'proxy', p: 0.25, blockSize: 4 }),
  grid: 'none',
  gradient: 'none',
  stochastic: true,
  noise: { config: (p) => ({ variant: 'proxy', p, blockSize: 4 }), atOne: 'rejected' },
  badConfigs: [{ config: { variant: 'proxy', p: 1 }, field: 'p' }, { config: { variant: 'proxy', p: 0.1, blockSize: 3 }, field: 'blockSize' }],
});

describeQuantizerConformance(quantNoise, {
  name: 'quant-noise exact-pq',
  config: () => ({ variant: 'exact-pq', p: 0.5, blockSize: 4, centroids: 4, iterations: 5 }),
  grid: 'codebook',
  gradient: 'ste-identity',
  stochastic: true,
  exportable: true,
  noise: { config: (p) => ({ variant: 'exact-pq', p, blockSize: 4, centroids: 4, iterations: 5 }), atOne: 'eval' },
  badConfigs: [{ config: { variant: 'exact-pq', p: 0.5, blockSize: 5 }, field: 'blockSize' }],
});

describeQuantizerConformance(quantNoisier, {
  name: 'quant-noisier jitter',
  ...stochasticScalarGrid,
  config: (bits) => ({ variant: 'jitter', target: { bits } }),
  badConfigs: [{ config: { variant: 'sched' }, field: 'epochs' }, { config: { variant: 'jitter', pHat: 2 }, field: 'pHat' }],
});

// hard1 / hard2 / sched: without a per-batch ctx.rate (set by ExampleLossTracker) hard1 and hard2 run at p̂; sched
// runs at p̂ − α(1 − 2e/m) of the context's epoch. Their rate rules themselves are checked in quant-noisier.test.ts.
for (const variant of ['hard1', 'hard2', 'sched'] as const) {
  const extra = variant === 'sched' ? { epochs: 4 } : {};
  describeQuantizerConformance(quantNoisier, {
    name: `quant-noisier ${variant}`,
    ...stochasticScalarGrid,
    config: (bits) => ({ variant, ...extra, target: { bits } }),
    // λ = γ = α = 0 reduces to Quant-Noise at rate p̂ (spec §4.3): p̂ = 0 is the identity, p̂ = 1 the eval forward
    noise: { config: (p) => ({ variant, ...extra, pHat: p, lambda: 0, gamma: 0, alpha: 0, target: { bits: 4 } }), atOne: 'eval' },
    badConfigs: [{ config: { variant, ...extra, lambda: -1 }, field: 'lambda' }, { config: { variant, ...extra, gamma: -0.5 }, field: 'gamma' }],
  });
}

describeQuantizerConformance(rand, {
  name: 'rand ste mode 1',
  minmaxCalibrated: true,
  config: (bits) => ({ bits, flavour: 'ste', mode: '1' }),
  bits: [2, 4, 8],
  grid: 'uniform',
  symmetric: true,
  gradient: 'none',
  exportable: true,
  badConfigs: [{ config: { bits: 1 }, field: 'bits' }, { config: { bits: 4, p: 0.5 }, field: 'p' }],
});

describeQuantizerConformance(rand, {
  name: 'rand pqn mode 2 (p = 4)',
  config: (bits) => ({ bits, flavour: 'pqn', mode: '2', p: 4 }),
  bits: [4],
  grid: 'uniform',
  symmetric: true,
  gradient: 'finite-difference',
  reference,
  idempotent: false, // s = c·‖w‖_4/Q_P follows the weights, and ‖q(w)‖_4 ≠ ‖w‖_4
  stochastic: true,
  exportable: true,
  badConfigs: [{ config: { bits: 4, flavour: 'noise' }, field: 'flavour' }],
});

describeQuantizerConformance(pq, {
  config: () => ({ blockSize: 4, centroids: 8, iterations: 8 }),
  grid: 'codebook',
  gradient: 'none',
  exportable: true,
  badConfigs: [{ config: { blockSize: 3 }, field: 'blockSize' }, { config: { blockSize: 4, centroids: 300 }, field: 'centroids' }],
});

describeQuantizerConformance(pq, {
  name: 'pq 256 centroids fp32 codebook',
  config: () => ({ blockSize: 2, centroids: 256, iterations: 3, codebookBits: 32 }),
  grid: 'codebook',
  gradient: 'none',
  exportable: true,
  shapes: [[4, 8]],
  badConfigs: [{ config: { blockSize: 2, codebookBits: 8 }, field: 'codebookBits' }],
});
