// nibble's WebGPU backend vs @tensorflow/tfjs-backend-webgpu on the same adapter (Dawn in Node; SwiftShader without a
// GPU): square fp32 matmuls and an LSTM step built from the same ops in both (x·Wx + h·Wh, gate slices, sigmoid/tanh,
// c and h updates). Medians after one warm-up; every timed run ends with a read-back so queued GPU work counts.
// Run: pnpm --filter @nibble/backend-webgpu bench
import { existsSync } from 'node:fs';
const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(ICD)) process.env.VK_ICD_FILENAMES = ICD;
const nb = await import('@nibble/core');
const { webgpu } = await import('../src/index.ts');
const { create, globals } = (await import('webgpu')) as unknown as { create(f: string[]): GPU; globals: Record<string, unknown> };

const rt = nb.createRuntime({ backends: [webgpu] });
await rt.use('webgpu');
Object.assign(globalThis, globals);
const gpu = create([]);
Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true });
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-webgpu');
await tf.setBackend('webgpu');
await tf.ready();

function median(xs: number[]): number { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; }
async function time(f: () => Promise<void>, runs: number): Promise<number> {
  await f();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) { const t0 = performance.now(); await f(); t.push(performance.now() - t0); }
  return median(t);
}
const fill = (n: number) => Float32Array.from({ length: n }, (_, i) => (((i * 7919) % 1000) / 1000 - 0.5) * 0.1);
const row = (name: string, ours: number, theirs: number, extra = '') =>
  console.log(`| ${name} | ${ours.toFixed(1)} | ${theirs.toFixed(1)} | ${(ours / theirs).toFixed(2)} |${extra}`);

console.log('| case | nibble (ms) | tfjs-webgpu (ms) | ratio nibble / tfjs |');
console.log('| --- | --- | --- | --- |');
for (const n of [256, 512, 1024]) {
  const data = fill(n * n);
  const a = nb.tensor(data, { shape: [n, n], runtime: rt });
  const ta = tf.tensor2d(data, [n, n]);
  const runs = n >= 1024 ? 3 : 5;
  const ours = await time(async () => { const c = a.matmul(a); await c.data(); c.dispose(); }, runs);
  const theirs = await time(async () => { const c = tf.matMul(ta, ta); await c.data(); c.dispose(); }, runs);
  row(`matmul ${n}³`, ours, theirs);
  a.dispose(); ta.dispose();
}

// LSTM: B = 16, I = H = 256, 10 steps per timed run.
const B = 16, I = 256, H = 256, STEPS = 10;
const [xd, wxd, whd, h0d] = [fill(B * I), fill(I * 4 * H), fill(H * 4 * H), fill(B * H)];
{
  const x = nb.tensor(xd, { shape: [B, I], runtime: rt });
  const wx = nb.tensor(wxd, { shape: [I, 4 * H], runtime: rt });
  const wh = nb.tensor(whd, { shape: [H, 4 * H], runtime: rt });
  const h0 = nb.tensor(h0d, { shape: [B, H], runtime: rt });
  const ours = await time(async () => {
    let h = h0.clone();
    let c = h0.clone();
    for (let s = 0; s < STEPS; s++) {
      const [hn, cn] = nb.scope(() => {
        const z = x.matmul(wx).add(h.matmul(wh));
        const g = (k: number) => z.slice([0, k * H], [B, H]);
        const c2 = g(1).sigmoid().mul(c).add(g(0).sigmoid().mul(g(2).tanh()));
        return [g(3).sigmoid().mul(c2.tanh()), c2];
      });
      h.dispose(); c.dispose();
      h = hn!; c = cn!;
    }
    await h.data();
    h.dispose(); c.dispose();
  }, 5);
  const tx = tf.tensor2d(xd, [B, I]), twx = tf.tensor2d(wxd, [I, 4 * H]), twh = tf.tensor2d(whd, [H, 4 * H]), th0 = tf.tensor2d(h0d, [B, H]);
  const theirs = await time(async () => {
    let h = th0.clone();
    let c = th0.clone();
    for (let s = 0; s < STEPS; s++) {
      const [hn, cn] = tf.tidy(() => {
        const z = tf.add(tf.matMul(tx, twx), tf.matMul(h, twh));
        const g = (k: number) => tf.slice(z, [0, k * H], [B, H]);
        const c2 = tf.add(tf.mul(tf.sigmoid(g(1)), c), tf.mul(tf.sigmoid(g(0)), tf.tanh(g(2))));
        return [tf.mul(tf.sigmoid(g(3)), tf.tanh(c2)), c2];
      });
      h.dispose(); c.dispose();
      h = hn!; c = cn!;
    }
    await h.data();
    h.dispose(); c.dispose();
  }, 5);
  row(`LSTM B=${B} I=H=${H}, ${STEPS} steps`, ours, theirs);
}
process.exit(0);
