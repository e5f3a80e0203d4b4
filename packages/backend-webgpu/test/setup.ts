import { existsSync } from 'node:fs';
import { webgpu } from '../src/index.ts';

/** The SwiftShader ICD of Debian's chromium package (tools/setup-webgpu.sh installs it). */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

/**
 * Whether the WebGPU tests can run here. Without an adapter they fail with the reason under CI (which installs the
 * driver with tools/setup-webgpu.sh) and are skipped with the reason elsewhere.
 */
export async function webgpuAvailability(): Promise<{ run: boolean; reason?: string }> {
  const a = await webgpu.isAvailable();
  if (a.ok) return { run: true };
  if (process.env.CI) throw new Error(`WebGPU adapter unavailable under CI: ${a.reason}. Run tools/setup-webgpu.sh.`);
  console.warn(`skipping WebGPU tests: ${a.reason}`);
  return { run: false, reason: a.reason };
}
