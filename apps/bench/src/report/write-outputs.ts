// Writes the result files of a run: JSON (schema/bench-result.schema.json), Markdown and SVG charts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './bench-result.js';
import { renderCharts } from './charts.js';
import { markdownReport } from './markdown-report.js';

/** Default output directory: apps/bench/results (gitignored). */
export const DEFAULT_OUT_DIR = fileURLToPath(new URL('../../results', import.meta.url));

/**
 * Writes bench-result.json, bench-result.md and the charts into `dir`; returns the paths written.
 *
 * @example
 * const files = await writeOutputs(result, 'out/bench');
 */
export async function writeOutputs(result: BenchResult, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const charts = await renderCharts(result);
  const written: string[] = [];
  const write = (name: string, text: string): void => {
    const path = join(dir, name);
    writeFileSync(path, text);
    written.push(path);
  };
  write('bench-result.json', `${JSON.stringify(result, null, 2)}\n`);
  write('bench-result.md', markdownReport(result, charts.map((c) => c.name)));
  for (const c of charts) write(c.name, c.svg);
  return written;
}
