// Batched fp32 matrix multiply on the native kernels (packed panels, register blocking, threads).
import { dim, float32, minLength, output } from './checks.js';
import { NativeArgumentError } from './errors.js';
import { requireAddon } from './loader.js';

/**
 * Where a matrix operand's elements sit in its Float32Array: element (b, i, j) is at
 * `offset + b·batchStride + i·rowStride + j·colStride`. Transposes are strides (rowStride 1, colStride rows);
 * a batchStride of 0 broadcasts one matrix over the batch.
 */
export interface MatrixLayout {
  readonly offset?: number;
  readonly rowStride: number;
  readonly colStride: number;
  readonly batchStride?: number;
}

/** Arguments of {@link sgemm}: `out[b] (+)= A[b]·B[b]` with A[b] m×k, B[b] k×n. */
export interface SgemmArgs {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** Number of matrix products (default 1). */
  readonly batch?: number;
  readonly a: Float32Array;
  /** Default: contiguous row-major [batch, m, k]. */
  readonly aLayout?: MatrixLayout;
  readonly b: Float32Array;
  /** Default: contiguous row-major [batch, k, n]. */
  readonly bLayout?: MatrixLayout;
  /** Contiguous row-major [batch, m, n]; allocated when omitted. */
  readonly out?: Float32Array;
  /** Add the product to `out` instead of overwriting it (requires `out`). */
  readonly accumulate?: boolean;
  /** [n] added to every row of every product, in the kernel's epilogue where it can (not with `accumulate`). */
  readonly bias?: Float32Array;
}

function layoutOf(fn: string, name: string, layout: MatrixLayout | undefined, rows: number, cols: number) {
  if (layout === undefined) return { offset: 0, row: cols, col: 1, batch: rows * cols };
  if (typeof layout !== 'object' || layout === null) {
    throw new NativeArgumentError(`${fn}: ${name} must be a layout object, got ${String(layout)}`);
  }
  return {
    offset: dim(fn, `${name}.offset`, layout.offset ?? 0),
    row: dim(fn, `${name}.rowStride`, layout.rowStride),
    col: dim(fn, `${name}.colStride`, layout.colStride),
    batch: dim(fn, `${name}.batchStride`, layout.batchStride ?? rows * cols),
  };
}

function lastIndex(l: { offset: number; row: number; col: number; batch: number }, batch: number, rows: number, cols: number) {
  return l.offset + (batch - 1) * l.batch + (rows - 1) * l.row + (cols - 1) * l.col;
}

/**
 * Batched strided matrix product on the native kernels. Operands in any stride pattern (transposed, batch
 * broadcast) are packed once per call, so they run as fast as contiguous ones.
 *
 * @example
 * ```ts
 * // C = Aᵀ·B where A is stored as [k, m]
 * const c = sgemm({ m, n, k, a, aLayout: { rowStride: 1, colStride: m }, b });
 * ```
 */
export function sgemm(args: SgemmArgs): Float32Array {
  const fn = 'sgemm';
  if (typeof args !== 'object' || args === null) throw new NativeArgumentError(`${fn}: expected an argument object, got ${String(args)}`);
  const m = dim(fn, 'm', args.m);
  const n = dim(fn, 'n', args.n);
  const k = dim(fn, 'k', args.k);
  const batch = dim(fn, 'batch', args.batch ?? 1);
  const a = float32(fn, 'a', args.a);
  const b = float32(fn, 'b', args.b);
  const al = layoutOf(fn, 'aLayout', args.aLayout, m, k);
  const bl = layoutOf(fn, 'bLayout', args.bLayout, k, n);
  const accumulate = args.accumulate === true;
  if (accumulate && args.out === undefined) throw new NativeArgumentError(`${fn}: accumulate: true needs an out buffer`);
  const out = output(fn, args.out, batch * m * n, `[${batch}, ${m}, ${n}]`);
  if (batch > 0 && m > 0 && k > 0) minLength(fn, 'a', a, lastIndex(al, batch, m, k) + 1, `A is [${batch}, ${m}, ${k}] with its layout`);
  if (batch > 0 && n > 0 && k > 0) minLength(fn, 'b', b, lastIndex(bl, batch, k, n) + 1, `B is [${batch}, ${k}, ${n}] with its layout`);
  let bias: Float32Array | undefined;
  if (args.bias !== undefined) {
    if (accumulate) throw new NativeArgumentError(`${fn}: bias and accumulate: true together; expected one of them`);
    bias = float32(fn, 'bias', args.bias);
    if (bias.length !== n) throw new NativeArgumentError(`${fn}: bias has ${bias.length} elements, expected n = ${n}`);
  }
  requireAddon(fn).sgemm([batch], m, n, k, a, al.offset, al.row, al.col, [al.batch], b, bl.offset, bl.row, bl.col, [bl.batch], out, 0, n, m * n, accumulate, bias);
  return out;
}

/** Options of {@link matmul}. */
export interface MatmulOptions {
  /** A is stored as [batch, k, m] (use Aᵀ). */
  readonly transposeA?: boolean;
  /** B is stored as [batch, n, k] (use Bᵀ). */
  readonly transposeB?: boolean;
  readonly batch?: number;
  readonly out?: Float32Array;
}

/**
 * `A·B` for contiguous row-major operands, optionally stored transposed; returns [batch, m, n].
 *
 * @example
 * ```ts
 * const c = matmul(a, b, 2, 3, 4);              // [2,3] · [3,4]
 * const g = matmul(x, dy, 3, 2, 4, { transposeA: true }); // xᵀ·dy with x stored [2,3]
 * ```
 */
export function matmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, options: MatmulOptions = {}): Float32Array {
  const fn = 'matmul';
  dim(fn, 'm', m);
  dim(fn, 'k', k);
  dim(fn, 'n', n);
  const batch = dim(fn, 'batch', options.batch ?? 1);
  const checkedA = float32(fn, 'a', a);
  const checkedB = float32(fn, 'b', b);
  if (checkedA.length !== batch * m * k) {
    throw new NativeArgumentError(`${fn}: a has ${checkedA.length} elements, expected ${batch * m * k} ([${batch}, ${options.transposeA === true ? `${k}, ${m}` : `${m}, ${k}`}])`);
  }
  if (checkedB.length !== batch * k * n) {
    throw new NativeArgumentError(`${fn}: b has ${checkedB.length} elements, expected ${batch * k * n} ([${batch}, ${options.transposeB === true ? `${n}, ${k}` : `${k}, ${n}`}])`);
  }
  requireAddon(fn); // report unavailability under this function's name
  return sgemm({
    m, n, k, batch,
    a: checkedA,
    aLayout: options.transposeA === true ? { rowStride: 1, colStride: m, batchStride: m * k } : { rowStride: k, colStride: 1, batchStride: m * k },
    b: checkedB,
    bLayout: options.transposeB === true ? { rowStride: 1, colStride: k, batchStride: k * n } : { rowStride: n, colStride: 1, batchStride: k * n },
    ...(options.out === undefined ? {} : { out: options.out }),
  });
}
