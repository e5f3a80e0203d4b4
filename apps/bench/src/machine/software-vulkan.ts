// WebGPU in Node goes through Dawn (npm "webgpu") on Vulkan. These machines have no GPU, but Debian's chromium ships
// SwiftShader, a Vulkan driver on the CPU: pointing the Vulkan loader at it gives Dawn a (slow, software) adapter.
// The loader reads VK_ICD_FILENAMES when Dawn creates its instance, so this must run before the first requestAdapter.
import { existsSync } from 'node:fs';

const SWIFTSHADER_ICDS = ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib/chromium-browser/vk_swiftshader_icd.json'];

/**
 * Sets VK_ICD_FILENAMES to chromium's SwiftShader ICD when the variable is unset and the file exists; returns the
 * ICD in use (or undefined when the system's own Vulkan drivers are used).
 *
 * @example
 * useSoftwareVulkanIfNoDriverChosen(); // before loading tfjs-backend-webgpu / @nibble/backend-webgpu
 */
export function useSoftwareVulkanIfNoDriverChosen(): string | undefined {
  const chosen = process.env['VK_ICD_FILENAMES'];
  if (chosen) return chosen;
  const icd = SWIFTSHADER_ICDS.find((p) => existsSync(p));
  if (icd) process.env['VK_ICD_FILENAMES'] = icd;
  return icd;
}

/** Whether the Vulkan driver in use is a software one (SwiftShader, lavapipe). */
export function isSoftwareVulkan(): boolean {
  return /swiftshader|lvp_icd|lavapipe/i.test(process.env['VK_ICD_FILENAMES'] ?? '');
}
