// Run in a child process by no-adapter.test.ts (so Dawn starts with that process's Vulkan environment): prints one
// JSON line with what the factory answers and what create() throws.
import { webgpuFactory } from '../../src/index.ts';

const factory = webgpuFactory();
const availability = await factory.isAvailable();
let create: { ok: true } | { ok: false; name: string; message: string };
try {
  const backend = await factory.create();
  backend[Symbol.dispose]();
  create = { ok: true };
} catch (e) {
  create = { ok: false, name: e instanceof Error ? e.constructor.name : typeof e, message: e instanceof Error ? e.message : String(e) };
}
process.stdout.write(`${JSON.stringify({ availability, create })}\n`);
