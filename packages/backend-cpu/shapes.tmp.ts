import { requireAddon } from './src/native/loader.ts';
const addon = requireAddon('bench') as any;
const shapes: [number, number, number, boolean, boolean][] = [
  [1024, 128, 128, false, false], [1024, 128, 512, false, false], [1024, 512, 128, false, false],
  [128, 128, 1024, true, false], [128, 512, 1024, true, false], [512, 128, 1024, true, false],
  [1024, 128, 128, false, true], [1024, 512, 128, false, true], [1024, 128, 512, false, true], [1024, 1024, 1024, false, false],
];
console.log('fma peak GF/s', (addon.fmaPeak(2e7, 2) / 1e9).toFixed(1));
for (const [m, n, k, ta, tb] of shapes) {
  const a = new Float32Array(m * k).map(() => Math.random()), b = new Float32Array(k * n).map(() => Math.random()), c = new Float32Array(m * n);
  const run = () => addon.sgemm([], m, n, k, a, 0, ta ? 1 : k, ta ? m : 1, [], b, 0, tb ? 1 : n, tb ? k : 1, [], c, 0, n, m * n, false);
  for (let i = 0; i < 20; i++) run();
  const ts: number[] = [];
  for (let r = 0; r < 7; r++) { const reps = Math.max(3, Math.round(2e8 / (2 * m * n * k))); const t0 = performance.now(); for (let i = 0; i < reps; i++) run(); ts.push((performance.now() - t0) / reps); }
  ts.sort((x, y) => x - y);
  console.log(`${m}x${n}x${k}${ta ? ' At' : ''}${tb ? ' Bt' : ''}: ${(ts[0]! * 1000).toFixed(0)} us, ${(2 * m * n * k / ts[0]! / 1e6).toFixed(0)} GF/s (median ${(2 * m * n * k / ts[3]! / 1e6).toFixed(0)})`);
}
