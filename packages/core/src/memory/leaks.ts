/** What the leak detector reports about a tensor that was garbage-collected without `dispose()`. */
export interface LeakReport {
  id: number;
  shape: readonly number[];
  dtype: string;
  /** Stack trace of the tensor's creation. */
  createdAt: string | undefined;
}

type LeakListener = (leak: LeakReport) => void;

let listener: LeakListener | undefined;
let registry: FinalizationRegistry<LeakReport> | undefined;

/**
 * Turns on the debug leak detector: a tensor handle collected by the garbage collector without `dispose()` is
 * reported to `onLeak` (default: `console.warn`). Creation stacks are recorded, which costs time: use it in tests.
 *
 * @example
 * ```ts
 * enableLeakDetector((leak) => console.warn('leaked', leak.shape, leak.createdAt));
 * ```
 */
export function enableLeakDetector(onLeak: LeakListener = (l) => console.warn(`nibble: tensor #${l.id} ${l.dtype}[${l.shape.join(',')}] was never disposed\n${l.createdAt ?? ''}`)): void {
  listener = onLeak;
  registry ??= new FinalizationRegistry((leak) => listener?.(leak));
}

/** Turns the leak detector off. */
export function disableLeakDetector(): void {
  listener = undefined;
}

/** Called by Tensor: watch a new handle when the detector is on. */
export function watchForLeak(target: object, report: Omit<LeakReport, 'createdAt'>): void {
  if (!listener || !registry) return;
  registry.register(target, { ...report, createdAt: new Error().stack }, target);
}

/** Called by Tensor on dispose. */
export function unwatchLeak(target: object): void {
  registry?.unregister(target);
}
