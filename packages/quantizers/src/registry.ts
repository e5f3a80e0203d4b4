import { QuantizerRegistryError } from './errors.ts';
import type { Quantizer, QuantizerCreateContext, QuantizerPlugin } from './spi.ts';

/** Third-party ids: `scope/name`, lowercase letters, digits, '-', '_' and '.'. */
const NAMESPACED_ID = /^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*$/;

/** Plugins shipped with @nibble/quantizers: the only ones allowed a bare id. */
const builtinPlugins = new WeakSet<object>();

/** Marks a plugin object as built-in (bare id allowed). Internal to @nibble/quantizers. */
export function markBuiltin<C>(plugin: QuantizerPlugin<C>): QuantizerPlugin<C> {
  builtinPlugins.add(plugin);
  return plugin;
}

/**
 * Quantization methods by id. Ids are unique; third-party ids are namespaced (`acme/my-quant`).
 *
 * @example
 * ```ts
 * const registry = createQuantizerRegistry();
 * registry.register(myPlugin);                      // id 'acme/my-quant'
 * const q = registry.create('acme/my-quant', { bits: 4 }, { shape: [8, 8], role: 'weight', runtime });
 * ```
 */
export interface QuantizerRegistry {
  /** Adds a plugin; throws on a duplicate id, a bare third-party id or an unsupported `apiVersion`. */
  register<C>(plugin: QuantizerPlugin<C>): this;
  has(id: string): boolean;
  /** The plugin of an id; throws listing the registered ids when unknown. */
  get(id: string): QuantizerPlugin<unknown>;
  /** Registered ids, in registration order. */
  ids(): string[];
  /** Validates `rawConfig` with the plugin's schema and creates a quantizer for one tensor. */
  create(id: string, rawConfig: unknown, ctx: QuantizerCreateContext): Quantizer;
}

class Registry implements QuantizerRegistry {
  private readonly plugins = new Map<string, QuantizerPlugin<unknown>>();

  register<C>(plugin: QuantizerPlugin<C>): this {
    const id = plugin.id;
    if (typeof id !== 'string' || !id) throw new QuantizerRegistryError(`register: plugin id ${JSON.stringify(id)}; expected a non-empty string`);
    if (plugin.apiVersion !== 1) {
      throw new QuantizerRegistryError(`register: plugin '${id}' has apiVersion ${String(plugin.apiVersion)}; expected 1`);
    }
    const isBuiltin = builtinPlugins.has(plugin);
    if (!isBuiltin && !NAMESPACED_ID.test(id)) {
      throw new QuantizerRegistryError(`register: plugin id '${id}' is not namespaced; expected 'scope/name' (e.g. 'acme/${id.replace(/[^a-z0-9._-]/g, '') || 'my-quant'}'), bare ids are reserved for built-ins`);
    }
    if (this.plugins.has(id)) throw new QuantizerRegistryError(`register: a quantizer with id '${id}' is already registered; ids must be unique`);
    this.plugins.set(id, plugin as QuantizerPlugin<unknown>);
    return this;
  }

  has(id: string): boolean {
    return this.plugins.has(id);
  }

  get(id: string): QuantizerPlugin<unknown> {
    const p = this.plugins.get(id);
    if (!p) throw new QuantizerRegistryError(`get: unknown quantizer id '${id}'; registered: ${this.ids().join(', ') || '(none)'}`);
    return p;
  }

  ids(): string[] {
    return [...this.plugins.keys()];
  }

  create(id: string, rawConfig: unknown, ctx: QuantizerCreateContext): Quantizer {
    const plugin = this.plugins.get(id);
    if (!plugin) throw new QuantizerRegistryError(`create: unknown quantizer id '${id}'; registered: ${this.ids().join(', ') || '(none)'}`);
    const config = plugin.parseConfig(rawConfig);
    return plugin.create(config, ctx);
  }
}

/** Options of {@link createQuantizerRegistry}. */
export interface QuantizerRegistryOptions {
  /** Plugins to register first (built-ins are passed by `defaultRegistry`). */
  readonly plugins?: readonly QuantizerPlugin<unknown>[];
}

/**
 * Creates an empty registry (or one holding `options.plugins`). Use `defaultRegistry` for the built-ins.
 *
 * @example
 * ```ts
 * const registry = createQuantizerRegistry({ plugins: builtinQuantizers });
 * registry.ids(); // ['ste', 'lsq', 'lsq+', 'quant-noise', 'quant-noisier', 'rand', 'pq']
 * ```
 */
export function createQuantizerRegistry(options: QuantizerRegistryOptions = {}): QuantizerRegistry {
  const r = new Registry();
  for (const p of options.plugins ?? []) r.register(p);
  return r;
}
