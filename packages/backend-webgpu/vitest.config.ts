import { existsSync } from 'node:fs';
import { sharedConfig } from '../../vitest.shared.ts';

// Dawn finds no GPU on machines without one: point the Vulkan loader at SwiftShader, the CPU Vulkan driver that
// Debian's chromium package ships (tools/setup-webgpu.sh installs it). Set here, before vitest forks its workers, so
// the variables are in their environment when Dawn starts (the dynamic linker reads LD_LIBRARY_PATH only at start).
const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(ICD)) process.env.VK_ICD_FILENAMES = ICD;
// Without Debian's libvulkan1, use the Vulkan loader that chromium ships beside its driver.
const systemLoader = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib/libvulkan.so.1'].some((p) => existsSync(p));
if (!systemLoader && existsSync('/usr/lib/chromium/libvulkan.so.1')) {
  process.env.LD_LIBRARY_PATH = ['/usr/lib/chromium', process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
}

export default sharedConfig;
