// The raw shape of the compiled addon (native/src/addon.cc). Only the typed wrappers in this folder call it:
// they validate every argument first, so these signatures stay positional and unchecked.
export interface NativeInfo {
  /** Instruction set of the kernels in use: 'avx512', 'avx2' or 'baseline'. */
  readonly isa: 'avx512' | 'avx2' | 'baseline';
  readonly vectorFloats: number;
  /** sgemm micro-kernel tile (rows × columns). */
  readonly mr: number;
  readonly nr: number;
  readonly threads: number;
  readonly hardwareThreads: number;
  readonly supportedIsas: readonly string[];
}

export interface OpenBlasLoadInfo {
  readonly ok: boolean;
  readonly reason: string;
  /** openblas_get_corename(): the kernel family OpenBLAS picked for this CPU. */
  readonly core: string;
  readonly config: string;
  readonly threads: number;
}

type F32 = Float32Array;
type OptF32 = Float32Array | null;

export interface NativeAddon {
  info(): NativeInfo;
  setThreads(threads: number): number;
  /** Test-only: runs `jobs` pool jobs and returns how many ran some task other than exactly once. */
  poolStress(jobs: number): number;
  setIsa(isa: string): boolean;
  scratchBytes(): number;
  releaseScratch(): void;
  /** The batch axes are lists: C's products run row-major over `batchDims` (at most 8 axes), A and B step by their strides. */
  sgemm(
    batchDims: number[], m: number, n: number, k: number,
    a: F32, aOffset: number, aRow: number, aCol: number, aBatchStrides: number[],
    b: F32, bOffset: number, bRow: number, bCol: number, bBatchStrides: number[],
    c: F32, cOffset: number, ldc: number, ldcb: number, accumulate: boolean, bias?: F32,
  ): void;
  binary(op: number, shape: number[], a: F32, aStrides: number[], b: F32, bStrides: number[], out: F32): void;
  compare(op: number, shape: number[], a: F32, aStrides: number[], b: F32, bStrides: number[], out: Uint8Array): void;
  castBytesToF32(x: Uint8Array, out: F32): void;
  castF32ToBool(x: F32, out: Uint8Array): void;
  unary(op: number, x: F32, out: F32): void;
  reduceRows(op: number, x: F32, rows: number, cols: number, out: F32): void;
  reduceBlock(op: number, x: F32, outer: number, reduced: number, inner: number, out: F32): void;
  copyStrided(shape: number[], src: F32, srcStrides: number[], dst: F32, dstStrides: number[]): void;
  softmaxRows(x: F32, rows: number, n: number, y: F32): void;
  softmaxGradRows(y: F32, g: F32, rows: number, n: number, gx: F32): void;
  layerNormRows(x: F32, rows: number, d: number, gamma: F32, beta: F32, eps: number, y: F32): void;
  /** gx must not overlap x or gy. */
  layerNormGradRows(x: F32, rows: number, d: number, gamma: F32, gy: F32, eps: number, gx: F32, gGamma: F32, gBeta: F32): void;
  fakeQuant(x: F32, out: F32, rows: number, cols: number, scale: F32, zero: F32, qmin: number, qmax: number): void;
  int8Matmul(x: F32, m: number, k: number, w: Int8Array, n: number, scale: F32, zero: OptF32, group: number, y: F32): void;
  int4Matmul(
    x: F32, m: number, k: number, w: Uint8Array, n: number, signed: boolean,
    scale: F32, zero: OptF32, group: number, y: F32,
  ): void;
  pqMatmul(x: F32, m: number, k: number, codebook: F32, centroids: number, d: number, codes: Uint8Array, n: number, y: F32): void;
  /** `weightsKey` (optional, nonzero): wx, wh are unchanged since the last call with that key (prepared weights). */
  lstmForward(
    T: number, B: number, I: number, H: number, x: F32, wx: F32, wh: F32, bias: OptF32,
    h0: OptF32, c0: OptF32, hs: F32, cs: F32, gates: OptF32, weightsKey?: number,
  ): void;
  lstmBackward(
    T: number, B: number, I: number, H: number, x: F32, wx: F32, wh: F32, h0: OptF32, c0: OptF32,
    hs: F32, cs: F32, gates: F32, dhs: OptF32, dhLast: OptF32, dcLast: OptF32,
    dx: OptF32, dwx: OptF32, dwh: OptF32, db: OptF32, dh0: OptF32, dc0: OptF32,
  ): void;
  /**
   * `whKey` (optional, nonzero) promises that `wh` is unchanged since the last call with that key: at batch ≤ 4 its
   * packed copy is then reused instead of written again.
   */
  lstmSequence(B: number, T: number, H: number, xp: F32, xb: number, xt: number, wh: F32, h0: F32, c0: F32, y: F32, gates: OptF32, whKey?: number): void;
  lstmSequenceGrad(
    B: number, T: number, H: number, xp: F32, xb: number, xt: number, wh: F32, h0: F32, c0: F32, y: F32, gy: F32,
    gates: OptF32, gxp: F32, gwh: F32, gh0: F32, gc0: F32,
  ): void;
  fmaPeak(iterations: number, threads: number): number;
  streamRead(bytes: number, repeats: number, threads: number): number;
  openblasLoad(path: string): OpenBlasLoadInfo;
  openblasSetThreads(threads: number): void;
  openblasSgemm(m: number, n: number, k: number, a: F32, b: F32, c: F32): void;
}
