import { requireAddon } from './src/native/loader.ts';
const addon = requireAddon('bench') as any;
if (process.env.T) addon.setThreads(+process.env.T);
const shapes = (process.argv[2] ?? '32x128x512,32x512x128,64x64x32,64x32x64').split(',').map((s) => s.split('x').map(Number));
for (const [m, n, k] of shapes) {
  const a = new Float32Array(m! * k!).map(() => Math.random()), b = new Float32Array(k! * n!).map(() => Math.random()), c = new Float32Array(m! * n!);
  const run = () => addon.sgemm([], m, n, k, a, 0, k, 1, [], b, 0, n, 1, [], c, 0, n, m! * n!, false);
  for (let i = 0; i < 2000; i++) run();
  const ts: number[] = [];
  for (let r = 0; r < 9; r++) { const reps = 2000; const t0 = performance.now(); for (let i = 0; i < reps; i++) run(); ts.push((performance.now() - t0) / reps); }
  ts.sort((x, y) => x - y);
  console.log(`${m}x${n}x${k}: min ${(ts[0]! * 1000).toFixed(1)} us median ${(ts[4]! * 1000).toFixed(1)} us, ${(2 * m! * n! * k! / ts[0]! / 1e6).toFixed(0)} GF/s`);
}
