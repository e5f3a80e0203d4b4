// The result as an aligned plain-text table for the terminal.
import type { BenchResult } from './bench-result.js';
import { machineLines, skippedTargetLines, speedupLines, TABLE_HEADER, tableRows } from './report-rows.js';

const NUMERIC_COLUMNS = new Set([2, 3, 4, 5, 6, 7, 8, 9, 10]);

/**
 * Formats the result for a terminal (no colours, so logs stay readable).
 *
 * @example
 * process.stdout.write(terminalTable(result));
 */
export function terminalTable(result: BenchResult): string {
  const rows = [[...TABLE_HEADER], ...tableRows(result)];
  const widths = TABLE_HEADER.map((_, i) => Math.max(...rows.map((r) => (i === TABLE_HEADER.length - 1 ? 0 : (r[i] ?? '').length))));
  const line = (r: string[]): string =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : NUMERIC_COLUMNS.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [
    `nibble bench · suite ${result.suite} · ${result.createdAt}`,
    ...machineLines(result),
    '',
    line(rows[0] ?? []),
    ...rows.slice(1).map(line),
  ];
  const speedups = speedupLines(result);
  if (speedups.length > 0) out.push('', 'nibble vs peers (peer median / nibble median, > 1 = nibble faster):', ...speedups);
  const skipped = skippedTargetLines(result);
  if (skipped.length > 0) out.push('', ...skipped);
  out.push('', `run took ${result.durationS} s`);
  return `${out.join('\n')}\n`;
}
