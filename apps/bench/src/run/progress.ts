// Progress on stderr: a redrawn bar on a terminal, plain lines otherwise (CI logs, pipes).

/** Where progress goes; stderr by default. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(s: string): boolean;
}

/** Reports rows as they start, step and finish. */
export class Progress {
  private rowIndex = 0;
  private label = '';
  private lastLine = '';

  constructor(
    private readonly totalRows: number,
    private readonly stream: ProgressStream = process.stderr,
  ) {}

  private get tty(): boolean {
    return this.stream.isTTY === true;
  }

  /** A row (case × target) starts. */
  startRow(caseId: string, targetId: string): void {
    this.rowIndex++;
    this.label = `[${this.rowIndex}/${this.totalRows}] ${caseId} · ${targetId}`;
    if (this.tty) this.draw(0, 1);
    else this.stream.write(`${this.label}: start\n`);
  }

  /** A step of the current row finished. */
  step(done: number, total: number): void {
    if (this.tty) this.draw(done, total);
  }

  /** The current row finished; `summary` is e.g. "median 12.3 ms" or "skipped: …". */
  endRow(summary: string): void {
    if (this.tty) this.clear();
    this.stream.write(`${this.label}: ${summary}\n`);
  }

  /** A message outside any row (probe, availability). */
  note(message: string): void {
    if (this.tty) this.clear();
    this.stream.write(`${message}\n`);
  }

  private draw(done: number, total: number): void {
    const width = 24;
    const filled = Math.round((width * done) / Math.max(total, 1));
    const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} steps`;
    const max = (this.stream.columns ?? 100) - 1;
    this.lastLine = line.length > max ? line.slice(0, max) : line;
    this.stream.write(`\r${this.lastLine}\x1b[K`);
  }

  private clear(): void {
    if (this.lastLine !== '') this.stream.write('\r\x1b[K');
    this.lastLine = '';
  }
}
