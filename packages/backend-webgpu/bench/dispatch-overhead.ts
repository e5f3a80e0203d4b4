// Cost of one small dispatch (JS encoding + Dawn + the adapter), the floor of a training step made of many small ops.
import { existsSync } from 'node:fs';
const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(ICD)) process.env.VK_ICD_FILENAMES = ICD;
const { createRuntime, tensor } = await import('@nibble/core');
const { webgpu } = await import('../src/index.ts');
const rt = createRuntime({ backends: [webgpu] });
const b = await rt.use('webgpu');
const x = tensor(new Float32Array(64).fill(1), { runtime: rt });
for (const n of [100, 1000, 3000]) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) x.add(x).dispose();
  const t1 = performance.now();
  await b.sync();
  const t2 = performance.now();
  console.log(`${n} adds: encode ${((t1 - t0) / n * 1000).toFixed(1)} us/op, total ${((t2 - t0) / n * 1000).toFixed(1)} us/op`);
}
process.exit(0);
