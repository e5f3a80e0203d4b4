// SVG charts of a result, drawn with vega-lite (spec) + vega (headless rendering with View.toSVG(), no browser).
import type { TopLevelSpec } from 'vega-lite';
import type { BenchResult } from './bench-result.js';

/** Fixed colours per target, so charts of different runs read the same (and tests can look for them). */
export const TARGET_COLORS: Readonly<Record<string, string>> = {
  'nibble-cpu': '#e45756',
  'nibble-native': '#f58518',
  'nibble-webgpu': '#b279a2',
  'tfjs-cpu': '#9d755d',
  'tfjs-wasm': '#4c78a8',
  'tfjs-webgpu': '#72b7b2',
  'tfjs-node': '#bab0ac',
  ort: '#54a24b',
  torch: '#eeca3b',
  jax: '#ff9da6',
};
const OTHER_COLOR = '#79706e';

/** A chart file: its name and SVG text. */
export interface ChartFile {
  readonly name: string;
  readonly svg: string;
}

function colorScale(ids: readonly string[]): { domain: string[]; range: string[] } {
  return { domain: [...ids], range: ids.map((id) => TARGET_COLORS[id] ?? OTHER_COLOR) };
}

/** vega-lite spec: median ms per case and target (grouped bars, log scale) with min–max whiskers. */
export function timeChartSpec(result: BenchResult): TopLevelSpec | undefined {
  const values = result.rows
    .filter((r) => r.status === 'ok' && r.timing)
    .map((r) => ({ case: r.caseId, target: r.targetId, label: r.targetLabel, median: r.timing!.medianMs, min: r.timing!.minMs, max: r.timing!.maxMs }));
  if (values.length === 0) return undefined;
  const ids = [...new Set(values.map((v) => v.target))];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `nibble bench (${result.suite}): median step time, ms, log scale (lower is better); whiskers: min–max`,
    data: { values },
    width: 460,
    height: { step: 14 },
    encoding: {
      y: { field: 'case', type: 'nominal', title: null, sort: [...new Set(values.map((v) => v.case))] },
      yOffset: { field: 'target', type: 'nominal', sort: ids },
    },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          // stack: null — a stacked bar starts at 0, which a log scale cannot place
          x: { field: 'median', type: 'quantitative', title: 'median ms (log)', scale: { type: 'log' }, stack: null },
          color: { field: 'target', type: 'nominal', scale: colorScale(ids), legend: { title: 'target' } },
          tooltip: [{ field: 'label' }, { field: 'median' }, { field: 'min' }, { field: 'max' }],
        },
      },
      {
        // a thin bar rather than a rule: rules lose their x position under yOffset grouping
        mark: { type: 'bar', height: 2, color: '#333' },
        // the log scale must be declared on every layer sharing x, or the merged scale includes 0 and breaks
        encoding: { x: { field: 'min', type: 'quantitative', scale: { type: 'log' } }, x2: { field: 'max' } },
      },
    ],
  } as TopLevelSpec;
}

/** vega-lite spec: GFLOP/s of the matmul rows, with the measured FMA peak as a rule when known. */
export function gflopsChartSpec(result: BenchResult): TopLevelSpec | undefined {
  const values = result.rows
    .filter((r) => r.status === 'ok' && r.caseKind === 'matmul' && r.gflops !== undefined)
    .map((r) => ({ case: r.caseId, target: r.targetId, gflops: r.gflops! }));
  if (values.length === 0) return undefined;
  const ids = [...new Set(values.map((v) => v.target))];
  const peak = result.machine.limits?.fmaGflopsAll;
  const bars = {
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'case', type: 'nominal', title: null },
      xOffset: { field: 'target', type: 'nominal', sort: ids },
      y: { field: 'gflops', type: 'quantitative', title: 'GFLOP/s' },
      color: { field: 'target', type: 'nominal', scale: colorScale(ids), legend: { title: 'target' } },
    },
  };
  const layer: unknown[] = [bars];
  if (peak !== undefined) {
    layer.push({
      data: { values: [{ peak, label: `FMA peak ${peak.toFixed(0)} GFLOP/s` }] },
      layer: [
        { mark: { type: 'rule', color: '#d62728', strokeDash: [6, 3] }, encoding: { y: { field: 'peak', type: 'quantitative' } } },
        { mark: { type: 'text', align: 'left', dx: 4, dy: -6, color: '#d62728' }, encoding: { y: { field: 'peak', type: 'quantitative' }, text: { field: 'label' } } },
      ],
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `matmul GFLOP/s (higher is better)${peak !== undefined ? ' against the measured FMA peak' : ''}`,
    data: { values },
    width: 360,
    height: 240,
    layer,
  } as TopLevelSpec;
}

/**
 * Renders a vega-lite spec to SVG text in Node (vega's headless View, renderer "none").
 *
 * @example
 * const svg = await renderSvg(timeChartSpec(result)!);
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [{ compile }, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders every chart the result has data for. */
export async function renderCharts(result: BenchResult): Promise<ChartFile[]> {
  const files: ChartFile[] = [];
  const time = timeChartSpec(result);
  if (time) files.push({ name: 'bench-times.svg', svg: await renderSvg(time) });
  const gflops = gflopsChartSpec(result);
  if (gflops) files.push({ name: 'bench-matmul-gflops.svg', svg: await renderSvg(gflops) });
  return files;
}
