import { requireAddon } from './src/native/loader.ts';
const addon = requireAddon('bench') as any;
if (process.env.T) addon.setThreads(+process.env.T);
const [B, T, H] = (process.argv[2] ?? '32x50x128').split('x').map(Number) as [number, number, number];
const G = 4 * H;
const r = (n: number, s = 0.1) => new Float32Array(n).map(() => (Math.random() - 0.5) * s);
const xp = r(B * T * G, 1), wh = r(H * G), h0 = new Float32Array(B * H), c0 = new Float32Array(B * H);
const y = new Float32Array(B * T * 2 * H), gates = new Float32Array(B * T * G), gy = r(B * T * 2 * H, 1);
const gxp = new Float32Array(B * T * G), gwh = new Float32Array(H * G), gh0 = new Float32Array(B * H), gc0 = new Float32Array(B * H);
const fwd = () => addon.lstmSequence(B, T, H, xp, T * G, G, wh, h0, c0, y, gates);
const bwd = () => addon.lstmSequenceGrad(B, T, H, xp, T * G, G, wh, h0, c0, y, gy, gates, gxp, gwh, gh0, gc0);
for (const [name, f] of [['forward', fwd], ['backward', bwd]] as const) {
  for (let i = 0; i < 30; i++) f();
  const ts: number[] = [];
  for (let i = 0; i < 60; i++) { const t0 = performance.now(); f(); ts.push(performance.now() - t0); }
  ts.sort((a, b) => a - b);
  console.log(`${name} ${B}x${T}x${H}: min ${(ts[0]! * 1000).toFixed(0)} us, median ${(ts[30]! * 1000).toFixed(0)} us, per step median ${(ts[30]! * 1000 / T).toFixed(1)} us`);
}
