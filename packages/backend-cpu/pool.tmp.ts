import { requireAddon } from './src/native/loader.ts';
const addon = requireAddon('bench') as any;
for (let r = 0; r < 3; r++) { const n = 100000; const t0 = performance.now(); addon.poolStress(n); console.log('per job', ((performance.now() - t0) * 1000 / n).toFixed(2), 'us'); }
