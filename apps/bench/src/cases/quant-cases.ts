// Loader of cases/quant-cases.json (suite "quant"): batch-1 y = x @ dequant(W). The expected output sum is computed
// here in float64 from the dequantized weights, since it depends on the quantization rule the file defines.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BenchCaseFileError } from '../errors.js';
import { matmul64, sum64 } from '../reference/matmul64.js';
import { qmatvecData } from './case-data.js';
import type { QmatvecCase } from './train-cases.js';

/** Absolute path of cases/quant-cases.json. */
export const QUANT_CASES_PATH = fileURLToPath(new URL('../../cases/quant-cases.json', import.meta.url));

const SCHEMA = 'nibble-bench/quant-v1';

/** Ids of the quant cases, without building their data (cheap: for validating --case). */
export function quantCaseIds(path: string = QUANT_CASES_PATH): string[] {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as { cases?: { id?: unknown }[] };
  return (raw.cases ?? []).map((c) => String(c.id));
}

/**
 * Reads the quant cases and fills each one's expect.outSum with the float64 reference.
 *
 * @example
 * const [f32, int8, int4] = loadQuantCases();
 */
export function loadQuantCases(path: string = QUANT_CASES_PATH): QmatvecCase[] {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as { schema?: unknown; cases?: unknown };
  if (raw.schema !== SCHEMA) throw new BenchCaseFileError(`loadQuantCases: schema is ${JSON.stringify(raw.schema)}, expected "${SCHEMA}"`);
  if (!Array.isArray(raw.cases)) throw new BenchCaseFileError('loadQuantCases: "cases" is not an array');
  return raw.cases.map((c: Omit<QmatvecCase, 'expect'>, i: number) => {
    if (c.kind !== 'qmatvec' || ![4, 8, 32].includes(c.bits) || !(c.K > 0 && c.N > 0 && c.K % c.blockSize === 0)) {
      throw new BenchCaseFileError(`loadQuantCases: cases[${i}] needs kind "qmatvec", bits 4, 8 or 32 and K a multiple of blockSize`);
    }
    const d = qmatvecData({ ...c, expect: { outSum: NaN } });
    const outSum = sum64(matmul64(d.x, d.wDequant, 1, c.K, c.N));
    return { ...c, expect: { outSum } };
  });
}
