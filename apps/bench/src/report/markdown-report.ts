// The result as a Markdown report (for docs/benchmarks.md and PR descriptions).
import type { BenchResult } from './bench-result.js';
import { machineLines, skippedTargetLines, speedupLines, TABLE_HEADER, tableRows } from './report-rows.js';

const escapeCell = (s: string): string => s.replace(/\|/g, '\\|');

/**
 * Formats the result as Markdown.
 *
 * @example
 * writeFileSync('bench.md', markdownReport(result));
 */
export function markdownReport(result: BenchResult, chartFiles: readonly string[] = []): string {
  const align = TABLE_HEADER.map((_, i) => (i >= 2 && i <= 10 ? '---:' : '---'));
  const out = [
    `# nibble bench: suite \`${result.suite}\``,
    '',
    `Run at ${result.createdAt}, ${result.durationS} s. Timing: ${result.timingPolicy.warmup} warm-up steps, ` +
      `reps = clamp(floor(${result.timingPolicy.caseBudgetS} s / step), ${result.timingPolicy.minReps}, ${result.timingPolicy.reps}); median, min, max.`,
    '',
    ...machineLines(result).map((l) => `- ${l}`),
    '',
    `| ${TABLE_HEADER.join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...tableRows(result).map((r) => `| ${r.map(escapeCell).join(' | ')} |`),
  ];
  const speedups = speedupLines(result);
  if (speedups.length > 0) out.push('', 'nibble vs peers (peer median / nibble median, > 1 = nibble faster):', '', ...speedups.map((l) => `- ${l}`));
  const skipped = skippedTargetLines(result);
  if (skipped.length > 0) out.push('', 'Targets that did not run:', '', ...skipped.map((l) => `- ${escapeCell(l)}`));
  if (chartFiles.length > 0) out.push('', ...chartFiles.map((f) => `![${f}](${f})`));
  return `${out.join('\n')}\n`;
}
