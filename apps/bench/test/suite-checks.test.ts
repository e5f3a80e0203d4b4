// The ops / layers / quant / train suite rows are checked before they are timed: against float64 references built
// with the case data (ops, layers, float QAT rows), against the fake-quant eval output (packed rows), or against the
// float64 loss on the exported weights (quantized QAT rows). Deliberately wrong targets must be stopped with a
// message; nibble's own rows must pass and get their derived figures (overhead, speed-up, steps/s).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { caseData } from '../src/cases/case-data.js';
import { loadSuiteCases, type PackedInferCase, type QatRunCase, type QatStepCase, type SuiteCase } from '../src/cases/suite-cases.js';
import { loadCaseFile, type BenchCase } from '../src/cases/train-cases.js';
import type { BenchResult } from '../src/report/bench-result.js';
import { tableRows } from '../src/report/report-rows.js';
import { runBench } from '../src/run/run-bench.js';
import { QUICK_CASE_IDS, selectCases } from '../src/run/suites.js';
import type { BenchTarget, CaseFactories } from '../src/targets/bench-target.js';
import { checkPackedAgainstFakeQuant } from '../src/targets/nibble/nibble-packed.js';
import { nibbleCpuTarget } from '../src/targets/nibble/nibble-cpu-target.js';

const file = loadCaseFile();
const suite = loadSuiteCases();
const byId = (id: string): SuiteCase => {
  const c = suite.find((k) => k.id === id);
  if (!c) throw new Error(`no case ${id}`);
  return c;
};
const silent = { isTTY: false, write: () => true };

const run = (cases: BenchCase[], targets: BenchTarget[]) =>
  runBench({
    suite: 'all', size: 'all', repeat: 2, backends: [], peers: [], caseFile: file, cases, targets,
    policy: { ...file.timing, reps: 2, minReps: 2 }, machine: { ok: false, reason: 'not probed in this test' }, progress: silent,
  });

function fakeTarget(id: string, cases: CaseFactories): BenchTarget {
  return { id, label: id, kind: 'nibble', available: async () => ({ ok: true }), cases };
}

// Small variants of the file's QAT and packed cases, so the real nibble rows run in a few seconds on the TS kernels.
const small = {
  qatStep: (q: QatStepCase['quantizer'], id: string): QatStepCase => ({ ...(byId('qat_step_float') as QatStepCase), id, quantizer: q, H: 16, B: 4, gap: 2 }),
  qatRun: (q: QatRunCase['quantizer'], id: string): QatRunCase => ({ ...(byId('qat_run_float') as QatRunCase), id, quantizer: q, H: 16, B: 8, gap: 2, steps: 30 }),
  packed: (q: PackedInferCase['quantizer'], format: PackedInferCase['format'], id: string): PackedInferCase => ({
    ...(byId('packed_f32_2048') as PackedInferCase), id, format, quantizer: q, K: 64, hidden: 128, N: 32, batch: 2,
  }),
};
const STE4 = { id: 'ste', config: { bits: 4, granularity: 'channel' } };

describe('suite checks before timing', () => {
  it('ops: a right elementwise target passes "output vs float64"; tanh(x) ≈ x (a plausible shortcut) fails and is not timed', async () => {
    const c = byId('ew_tanh_1m');
    const result = await run([c], [
      fakeTarget('right', { elementwise: async (_c, d) => ({ step: async () => ({ kind: 'tensor', data: Float32Array.from(d.ref), shape: [1024, 1024] }), dispose() {} }) }),
      fakeTarget('wrong', { elementwise: async (_c, d) => ({ step: async () => ({ kind: 'tensor', data: d.x.slice(), shape: [1024, 1024] }), dispose() {} }) }),
    ]);
    const [right, wrong] = result.rows;
    expect(right?.status).toBe('ok');
    expect(right?.memGBs).toBeGreaterThan(0);
    expect(wrong?.status).toBe('failed');
    expect(wrong?.reason).toMatch(/check failed: output vs float64: max \|diff\|/);
    expect(wrong?.timing).toBeUndefined();
  });

  it('ops: a sum over the wrong axis fails, although the total is the same', async () => {
    const c = byId('reduce_sum_axis1_1m');
    const result = await run([c], [
      fakeTarget('axis0', {
        reduce: async (k, d) => {
          const out = new Float32Array(k.cols);
          for (let r = 0; r < k.rows; r++) for (let j = 0; j < k.cols; j++) out[j]! += d.x[r * k.cols + j]!;
          return { step: async () => ({ kind: 'tensor', data: out, shape: [k.cols] }), dispose() {} };
        },
      }),
    ]);
    expect(result.rows[0]?.status).toBe('failed');
    expect(result.rows[0]?.checks[0]?.name).toBe('output vs float64');
  });

  it('layers: nibble cpu passes loss0 and ⟨∇loss, d⟩ on the OrthogonalRNN (Björck); a gradient 1% off fails', async () => {
    const c = byId('layer_ornn_h64');
    const result = await run([c], [
      nibbleCpuTarget('cpu'),
      fakeTarget('grad-off', {
        layer_grad: async (_c, d) => ({ step: async () => ({ kind: 'loss', loss: d.ref.loss0, gradDot: 1.01 * d.ref.gradDot }), dispose() {} }),
      }),
    ]);
    const [nibble, off] = result.rows;
    expect(nibble?.checks.map((k) => [k.name, k.ok])).toEqual([['loss0 vs float64', true], ['⟨∇loss, d⟩ vs float64 central difference', true]]);
    expect(nibble?.status).toBe('ok');
    expect(off?.status).toBe('failed');
    expect(off?.reason).toMatch(/⟨∇loss, d⟩ vs float64 central difference/);
  });

  it('packed: the check fails when one entry is 1e-4 off, or when a weight is dequantized instead of run on packedMatmul', () => {
    const fq = Float32Array.from([0.5, -2, 1.25]);
    expect(checkPackedAgainstFakeQuant(fq.slice(), fq, ['packedMatmul', 'packedMatmul']).ok).toBe(true);
    const off = fq.slice();
    off[1]! += 2e-4;
    expect(checkPackedAgainstFakeQuant(off, fq, ['packedMatmul']).ok).toBe(false);
    expect(checkPackedAgainstFakeQuant(fq.slice(), fq, ['packedMatmul', 'dequantize-per-forward']).ok).toBe(false);
  });
});

describe('nibble rows of the quant and train suites (TS kernels, small shapes)', () => {
  let combined: BenchResult | undefined;

  it('packed_infer: int4 and PQ outputs equal the fake-quant eval output within 1e-5; f32 matches float64; speed-ups vs f32', async () => {
    const cases = [
      small.packed(null, 'f32', 'packed_f32_t'),
      small.packed(STE4, 'int4', 'packed_int4_t'),
      small.packed({ id: 'pq', config: { blockSize: 4, centroids: 16, iterations: 4 } }, 'pq', 'packed_pq_t'),
    ];
    const result = await run(cases, [nibbleCpuTarget('cpu')]);
    expect(result.rows.map((r) => [r.caseId, r.status, r.reason])).toEqual(cases.map((c) => [c.id, 'ok', undefined]));
    expect(result.rows[0]?.checks.map((k) => k.name)).toEqual(['output vs float64']);
    for (const r of result.rows.slice(1)) {
      expect(r.checks.map((k) => k.name)).toEqual(['packed output vs fake-quant eval output']);
      expect(r.checks[0]?.detail).toMatch(/weights run as packedMatmul, packedMatmul$/);
      expect(r.speedupVsFloat).toBeGreaterThan(0);
    }
    combined = result;
  });

  it('qat_step: the float row matches float64, each quantized row passes its eval check against float64 on the exported weights and gets an overhead %', async () => {
    const cases = [small.qatStep(null, 'qat_step_float_t'), small.qatStep(STE4, 'qat_step_ste_t'), small.qatStep({ id: 'lsq', config: { bits: 4 } }, 'qat_step_lsq_t')];
    const result = await run(cases, [nibbleCpuTarget('cpu')]);
    const [float, ste, lsq] = result.rows;
    expect(float?.checks.map((k) => [k.name, k.ok])).toEqual([['loss0 vs float64', true]]);
    expect(float?.overheadPct).toBeUndefined();
    for (const r of [ste, lsq]) {
      expect(r?.status, r?.reason).toBe('ok');
      expect(r?.checks.map((k) => k.name)).toEqual(['quantized eval loss vs float64 on the exported weights', 'training loss0 is finite']);
      expect(Number.isFinite(r?.overheadPct)).toBe(true);
    }
    expect(tableRows(result)[1]?.join(' ')).toMatch(/[+-]\d+\.\d% vs float step/);
    combined = { ...result, rows: [...(combined?.rows ?? []), ...result.rows] };
  });

  it('qat_run: steps/s, first and final loss, and the float run final loss; a run whose loss does not drop fails', async () => {
    const cases = [small.qatRun(null, 'qat_run_float_t'), small.qatRun(STE4, 'qat_run_ste_t')];
    const stuck = fakeTarget('stuck', {
      qat_run: async (c, d) => ({ step: async () => ({ kind: 'loss', loss: d.floatLoss0, run: { steps: c.steps, trainMs: 1, firstLoss: d.floatLoss0 } }), dispose() {} }),
    });
    const result = await run(cases, [nibbleCpuTarget('cpu'), stuck]);
    const rows = (id: string) => result.rows.filter((r) => r.caseId === id);
    const [floatRow, stuckRow] = rows('qat_run_float_t');
    const [steRow] = rows('qat_run_ste_t');
    expect(floatRow?.status, floatRow?.reason).toBe('ok');
    expect(floatRow?.qatRun?.steps).toBe(30);
    expect(floatRow?.qatRun?.finalLoss).toBeLessThan(floatRow!.qatRun!.firstLoss);
    expect(floatRow?.qatRun?.stepsPerS).toBeGreaterThan(0);
    expect(steRow?.status, steRow?.reason).toBe('ok');
    expect(steRow?.qatRun?.floatFinalLoss).toBe(floatRow?.qatRun?.finalLoss);
    expect(stuckRow?.status).toBe('failed');
    expect(stuckRow?.reason).toMatch(/final loss < first loss/);
    combined = { ...result, rows: [...(combined?.rows ?? []), ...result.rows] };
  });

  it('the JSON of these rows validates against bench-result.schema.json', () => {
    expect(combined).toBeDefined();
    const schema = JSON.parse(readFileSync(new URL('../schema/bench-result.schema.json', import.meta.url), 'utf8')) as object;
    const addFormats = createRequire(import.meta.url)('ajv-formats') as (ajv: Ajv2020) => Ajv2020;
    const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    const ok = validate(JSON.parse(JSON.stringify(combined)));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });
});

describe('suites', () => {
  const all = [...file.cases, ...suite];
  const kinds = (s: Parameters<typeof selectCases>[1]) => [...new Set(selectCases(all, s, 'all').map((c) => c.kind))];

  it('ops, layers, quant and train select the new kinds; --size keeps every quantizer of a set', () => {
    expect(kinds('ops')).toEqual(['matmul', 'elementwise', 'reduce']);
    expect(kinds('layers')).toEqual(['lstm_infer', 'layer_grad']);
    expect(kinds('quant')).toEqual(['packed_infer', 'qat_step']);
    expect(kinds('train')).toEqual(['lstm_train', 'transformer_train', 'qat_run']);
    expect(selectCases(all, 'quant', 'small').filter((c) => c.kind === 'qat_step')).toHaveLength(7);
  });

  it('quick adds one small row of ops elementwise, reduction and layer (OrthogonalRNN), and no QAT row', () => {
    const quick = selectCases(all, 'quick', 'all');
    expect(quick.map((c) => c.id).sort()).toEqual([...QUICK_CASE_IDS].sort());
    for (const k of ['elementwise', 'reduce', 'layer_grad']) expect(quick.filter((c) => c.kind === k)).toHaveLength(1);
    expect(quick.some((c) => c.kind.startsWith('qat') || c.kind === 'packed_infer')).toBe(false);
  });

  it('every suite case builds its data and float64 reference', () => {
    for (const c of suite.filter((k) => k.kind !== 'layer_grad' || k.layer === 'ornn')) expect(caseData(c).kind).toBe(c.kind);
  });
});

describe('tfjs rows of the ops and layers suites', () => {
  it('tfjs-wasm: exp and the transformer layer pass float64 and the cross-checks with nibble; the OrthogonalRNN is skipped with its reason', async () => {
    const { tfjsTarget } = await import('../src/targets/tfjs/tfjs-target.js');
    const result = await run([byId('ew_exp_1m'), byId('layer_transformer_d128'), byId('layer_ornn_h64')], [nibbleCpuTarget('cpu'), tfjsTarget('wasm')]);
    const row = (caseId: string, targetId: string) => result.rows.find((r) => r.caseId === caseId && r.targetId === targetId);
    const ew = row('ew_exp_1m', 'tfjs-wasm');
    expect(ew?.status, ew?.reason).toBe('ok');
    expect(ew?.checks.map((k) => k.name)).toEqual(['output vs float64', 'output vs nibble-cpu']);
    const layer = row('layer_transformer_d128', 'tfjs-wasm');
    expect(layer?.status, layer?.reason).toBe('ok');
    expect(layer?.checks.map((k) => k.name)).toEqual(['loss0 vs float64', '⟨∇loss, d⟩ vs float64 central difference', 'loss0 vs nibble-cpu']);
    expect(row('layer_ornn_h64', 'tfjs-wasm')).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/tfjs has no OrthogonalRNN/) });
  }, 120_000);
});
