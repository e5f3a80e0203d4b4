// Loads @nibble/core and @nibble/backend-cpu lazily, so a broken or unbuilt workspace package turns nibble's rows
// into "skipped: <reason>" instead of crashing the bench, and builds one private Runtime per nibble target.
import { reasonOf } from '../bench-target.js';

/** The core namespace. */
export type NibbleCore = typeof import('@nibble/core');
/** The CPU backend package (Node entry: TS backend + native addon). */
export type NibbleCpu = typeof import('@nibble/backend-cpu');
/** A core runtime. */
export type NibbleRuntime = import('@nibble/core').Runtime;

/** The packages the layer and QAT cases build their models with. */
export interface NibbleModelKit {
  readonly layers: typeof import('@nibble/layers');
  readonly quantizers: typeof import('@nibble/quantizers');
  readonly optim: typeof import('@nibble/optim');
}

let kit: Promise<NibbleModelKit> | undefined;

/** Imports @nibble/layers, @nibble/quantizers and @nibble/optim once (lazily: only the suites that need them pay). */
export function loadModelKit(): Promise<NibbleModelKit> {
  kit ??= Promise.all([import('@nibble/layers'), import('@nibble/quantizers'), import('@nibble/optim')]).then(([layers, quantizers, optim]) => ({ layers, quantizers, optim }));
  return kit;
}

/** The nibble CPU flavours the bench times. */
export type NibbleCpuFlavour = 'cpu' | 'native';

/** A runtime with one backend selected, and the modules to drive it. */
export interface NibbleSession {
  readonly core: NibbleCore;
  readonly runtime: NibbleRuntime;
  readonly backendName: string;
}

let modules: Promise<{ core: NibbleCore; cpu: NibbleCpu }> | undefined;

/** Imports core and the CPU backend once. */
export function loadNibble(): Promise<{ core: NibbleCore; cpu: NibbleCpu }> {
  modules ??= Promise.all([import('@nibble/core'), import('@nibble/backend-cpu')]).then(([core, cpu]) => ({ core, cpu }));
  return modules;
}

/**
 * Why a flavour cannot run, or undefined when it can. The native flavour must not silently fall back to the
 * TypeScript kernels (nativeFactory does that by design), so its addon is checked here.
 */
export async function nibbleCpuUnavailableReason(flavour: NibbleCpuFlavour): Promise<string | undefined> {
  let cpu: NibbleCpu;
  try {
    ({ cpu } = await loadNibble());
  } catch (err) {
    return `@nibble/core or @nibble/backend-cpu not loadable: ${reasonOf(err)}`;
  }
  if (flavour === 'native') {
    const reason = cpu.nativeUnavailableReason();
    if (reason !== undefined) return `native kernels unavailable: ${reason}`;
  }
  return undefined;
}

/**
 * A private runtime (not the default one) with the flavour's backend registered and selected.
 *
 * @example
 * const { core, runtime } = await nibbleCpuSession('native');
 * const a = core.tensor(new Float32Array(4), { runtime, shape: [2, 2] });
 */
export async function nibbleCpuSession(flavour: NibbleCpuFlavour): Promise<NibbleSession> {
  const { core, cpu } = await loadNibble();
  const factory = flavour === 'native' ? cpu.nativeFactory({ name: 'cpu-native' }) : cpu.cpuFactory({ name: 'cpu-ts' });
  const runtime = core.createRuntime({ backends: [factory] });
  await runtime.use(factory.name);
  return { core, runtime, backendName: factory.name };
}
