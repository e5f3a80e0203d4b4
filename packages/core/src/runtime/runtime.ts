import { BackendError } from '../errors.ts';
import type { Availability, Backend, BackendFactory } from '../spi/backend.ts';

/** Live buffers and bytes, summed over a runtime's backends. */
export interface MemoryInfo {
  buffers: number;
  bytes: number;
  /** Tensor handles created and not yet disposed. */
  tensors: number;
}

/**
 * Holds registered backends and picks the one new tensors go to. Nothing registers itself on import: add the
 * backends you want.
 *
 * @example
 * ```ts
 * import { createRuntime } from '@nibble/core';
 * import { cpu } from '@nibble/backend-cpu';
 * const rt = createRuntime({ backends: [cpu] });
 * const x = rt.tensor([1, 2, 3]).add(1);
 * ```
 */
export class Runtime {
  private readonly factories = new Map<string, BackendFactory>();
  private readonly backends = new Map<string, Backend>();
  private current: string | undefined;
  /** Live tensor handles; maintained by Tensor. */
  liveTensors = 0;

  /** Registers a backend factory. Registering a name twice throws. */
  register(factory: BackendFactory): this {
    if (this.factories.has(factory.name)) {
      throw new BackendError(`register: a backend named '${factory.name}' is already registered; names must be unique`);
    }
    this.factories.set(factory.name, factory);
    return this;
  }

  /** Names of the registered backends. */
  registered(): string[] {
    return [...this.factories.keys()];
  }

  /** Whether a registered backend can run here, with the reason when it cannot. */
  async isAvailable(name: string): Promise<Availability> {
    return this.factory(name).isAvailable();
  }

  /** Creates (once) and selects a backend; asynchronous backends (WebGPU) need this before use. */
  async use(name: string): Promise<Backend> {
    const factory = this.factory(name);
    let backend = this.backends.get(name);
    if (!backend) {
      const availability = await factory.isAvailable();
      if (!availability.ok) throw new BackendError(`use: backend '${name}' is unavailable: ${availability.reason}`);
      backend = await factory.create();
      this.backends.set(name, backend);
    }
    this.current = name;
    return backend;
  }

  /** Creates (once) and selects a backend that supports synchronous creation. */
  useSync(name: string): Backend {
    const factory = this.factory(name);
    let backend = this.backends.get(name);
    if (!backend) {
      if (!factory.createSync) {
        throw new BackendError(`useSync: backend '${name}' needs asynchronous setup; call 'await runtime.use('${name}')'`);
      }
      backend = factory.createSync();
      this.backends.set(name, backend);
    }
    this.current = name;
    return backend;
  }

  /** The selected backend; on first use, the highest-priority backend that can be created synchronously. */
  backend(name?: string): Backend {
    const wanted = name ?? this.current;
    if (wanted !== undefined) {
      const b = this.backends.get(wanted);
      if (b) return b;
      return this.useSync(wanted);
    }
    const candidates = [...this.factories.values()].filter((f) => f.createSync).sort((a, b) => b.priority - a.priority);
    const first = candidates[0];
    if (!first) {
      throw new BackendError(
        `no backend registered in this runtime; register one first, e.g. runtime.register(cpu) with cpu from '@nibble/backend-cpu'`,
      );
    }
    return this.useSync(first.name);
  }

  /** Live buffers and bytes over all created backends, and live tensor handles. */
  memory(): MemoryInfo {
    let buffers = 0;
    let bytes = 0;
    for (const b of this.backends.values()) {
      const m = b.memory();
      buffers += m.buffers;
      bytes += m.bytes;
    }
    return { buffers, bytes, tensors: this.liveTensors };
  }

  /** Disposes every created backend. */
  [Symbol.dispose](): void {
    for (const b of this.backends.values()) b[Symbol.dispose]();
    this.backends.clear();
    this.current = undefined;
  }

  private factory(name: string): BackendFactory {
    const f = this.factories.get(name);
    if (!f) {
      throw new BackendError(`backend '${name}' is not registered; registered: ${this.registered().join(', ') || '(none)'}`);
    }
    return f;
  }
}

/** Creates a runtime with the given backends registered. */
export function createRuntime(options: { backends?: readonly BackendFactory[] } = {}): Runtime {
  const rt = new Runtime();
  for (const f of options.backends ?? []) rt.register(f);
  return rt;
}

/** The runtime used by functions that do not take one (`tensor`, `zeros`, ...). Starts with no backend. */
export const defaultRuntime: Runtime = new Runtime();
