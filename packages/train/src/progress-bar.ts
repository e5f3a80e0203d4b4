/** Where a progress bar writes: a Node writable such as `process.stderr` (`isTTY` and `columns` when a terminal). */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** One update of a {@link ProgressBar}. */
export interface ProgressLine {
  readonly step: number;
  /** Total steps when known. */
  readonly total?: number;
  readonly epoch: number;
  /** Named values shown after the counters (e.g. loss). */
  readonly values: Readonly<Record<string, number>>;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function formatValue(v: number): string {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4);
}

/**
 * A training progress display. On a terminal it redraws one line in place (`\r`, at most ~10 times a second) with a
 * bar, rate and ETA; elsewhere (a pipe, a CI log) it prints plain lines, about `lines` over the run, so logs stay short.
 *
 * @example
 * ```ts
 * const bar = new ProgressBar(process.stderr, { total: 1000 });
 * bar.update({ step: 10, total: 1000, epoch: 0, values: { loss: 0.5 } });
 * bar.finish();
 * ```
 */
export class ProgressBar {
  private readonly started = Date.now();
  private readonly startStep: number;
  private lastDraw = 0;
  private lastPlainStep = -1;
  private drawn = false;
  private last: ProgressLine | undefined;

  constructor(
    private readonly stream: ProgressStream,
    private readonly options: { total?: number; startStep?: number; lines?: number } = {},
  ) {
    this.startStep = options.startStep ?? 0;
  }

  /** Formats a line (exposed for tests and custom displays). */
  format(line: ProgressLine, width = 100): string {
    const elapsed = (Date.now() - this.started) / 1000;
    const done = line.step - this.startStep;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const values = Object.entries(line.values).map(([k, v]) => `${k} ${formatValue(v)}`).join(' ');
    const counter = line.total !== undefined ? `${line.step}/${line.total}` : `${line.step}`;
    const eta = line.total !== undefined && rate > 0 ? ` eta ${formatDuration((line.total - line.step) / rate)}` : '';
    const text = `step ${counter} epoch ${line.epoch} ${values} ${rate.toFixed(1)} it/s${eta}`;
    if (line.total === undefined || !this.stream.isTTY) return text;
    const barWidth = Math.max(10, Math.min(30, width - text.length - 8));
    const frac = Math.min(1, line.step / Math.max(1, line.total));
    const filled = Math.round(frac * barWidth);
    return `[${'='.repeat(filled)}${filled < barWidth ? '>' : ''}${' '.repeat(Math.max(0, barWidth - filled - 1))}] ${String(Math.round(frac * 100)).padStart(3)}% ${text}`;
  }

  /** Shows progress; on a terminal redraws (throttled), otherwise prints a line every ~total/lines steps. */
  update(line: ProgressLine, force = false): void {
    this.last = line;
    if (this.stream.isTTY) {
      const now = Date.now();
      if (!force && now - this.lastDraw < 100) return;
      this.lastDraw = now;
      const width = this.stream.columns ?? 100;
      this.stream.write(`\r${this.format(line, width).slice(0, width - 1).padEnd(width - 1)}`);
      this.drawn = true;
      return;
    }
    const every = line.total !== undefined ? Math.max(1, Math.round((line.total - this.startStep) / (this.options.lines ?? 20))) : 100;
    if (force || line.step - this.lastPlainStep >= every) {
      this.lastPlainStep = line.step;
      this.stream.write(`${this.format(line)}\n`);
    }
  }

  /** Prints a message on its own line (e.g. an evaluation result) without breaking the bar. */
  log(message: string): void {
    if (this.stream.isTTY && this.drawn) this.stream.write('\n');
    this.drawn = false;
    this.stream.write(`${message}\n`);
  }

  /** Ends the display: shows the last update if it was throttled, then a newline after a terminal bar. */
  finish(): void {
    if (this.last && (this.stream.isTTY ? this.drawn : this.lastPlainStep !== this.last.step)) this.update(this.last, true);
    if (this.stream.isTTY && this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
