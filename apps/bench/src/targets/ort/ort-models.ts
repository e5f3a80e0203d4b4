// ONNX graphs of the bench cases that onnxruntime runs: matmul and LSTM inference (+ dense head).
import type { LstmData } from '../../cases/case-data.js';
import type { BlockQuantized } from '../../quant/block-quantize.js';
import { encodeOnnxModel } from './onnx-model.js';

/** C[n,n] = A[n,n] @ B[n,n], both graph inputs. */
export function matmulModel(n: number): Uint8Array {
  return encodeOnnxModel({
    name: `matmul_${n}`,
    nodes: [{ opType: 'MatMul', inputs: ['A', 'B'], outputs: ['C'] }],
    initializers: [],
    inputs: [
      { name: 'A', dims: [n, n] },
      { name: 'B', dims: [n, n] },
    ],
    outputs: [{ name: 'C', dims: [n, n] }],
  });
}

// The case file orders the gate blocks i, f, g, o (Keras/PyTorch); ONNX's LSTM wants i, o, f, c.
const ONNX_GATE_FROM_CASE_GATE = [0, 3, 1, 2] as const;

/** Transposes W[K, 4H] (case gate order) to ONNX's [4H, K] in i, o, f, c order. */
function onnxGateWeights(w: Float32Array, k: number, h: number): Float32Array {
  const out = new Float32Array(4 * h * k);
  ONNX_GATE_FROM_CASE_GATE.forEach((caseGate, onnxGate) => {
    for (let j = 0; j < h; j++) {
      for (let r = 0; r < k; r++) out[(onnxGate * h + j) * k + r] = w[r * 4 * h + caseGate * h + j] as number;
    }
  });
  return out;
}

function onnxGateBias(b: Float32Array, h: number): Float32Array {
  const out = new Float32Array(8 * h); // Wb (input bias) then Rb (recurrent bias, zero)
  ONNX_GATE_FROM_CASE_GATE.forEach((caseGate, onnxGate) => out.set(b.subarray(caseGate * h, (caseGate + 1) * h), onnxGate * h));
  return out;
}

/**
 * LSTM over x[B,T,I] (graph input) + dense head → logits[B,T,C]; weights are initializers.
 *
 * @example
 * const session = await ort.InferenceSession.create(lstmInferModel(lstmData(c)));
 */
export function lstmInferModel(d: LstmData): Uint8Array {
  const { B, T, I, H, C } = d;
  return encodeOnnxModel({
    name: `lstm_infer_h${H}`,
    nodes: [
      { opType: 'Transpose', inputs: ['x'], outputs: ['x_tbi'], attributes: { perm: { kind: 'ints', value: [1, 0, 2] } } },
      {
        opType: 'LSTM',
        inputs: ['x_tbi', 'W', 'R', 'Bias'],
        outputs: ['Y'],
        attributes: { hidden_size: { kind: 'int', value: H } },
      },
      { opType: 'Reshape', inputs: ['Y', 'shape_tbh'], outputs: ['Y_tbh'] }, // [T,1,B,H] → [T,B,H]
      { opType: 'Transpose', inputs: ['Y_tbh'], outputs: ['h_bth'], attributes: { perm: { kind: 'ints', value: [1, 0, 2] } } },
      { opType: 'MatMul', inputs: ['h_bth', 'Wd'], outputs: ['hw'] },
      { opType: 'Add', inputs: ['hw', 'bd'], outputs: ['logits'] },
    ],
    initializers: [
      { name: 'W', dims: [1, 4 * H, I], data: onnxGateWeights(d.wx, I, H) },
      { name: 'R', dims: [1, 4 * H, H], data: onnxGateWeights(d.wh, H, H) },
      { name: 'Bias', dims: [1, 8 * H], data: onnxGateBias(d.b, H) },
      { name: 'shape_tbh', dims: [3], data: BigInt64Array.from([BigInt(T), BigInt(B), BigInt(H)]) },
      { name: 'Wd', dims: [H, C], data: d.wd },
      { name: 'bd', dims: [C], data: d.bd },
    ],
    inputs: [{ name: 'x', dims: [B, T, I] }],
    outputs: [{ name: 'logits', dims: [B, T, C] }],
  });
}

/** y[1,N] = A[1,K] @ W[K,N] with float32 W as an initializer. */
export function matvecModel(w: Float32Array, K: number, N: number): Uint8Array {
  return encodeOnnxModel({
    name: `matvec_f32_${K}x${N}`,
    nodes: [{ opType: 'MatMul', inputs: ['A', 'W'], outputs: ['Y'] }],
    initializers: [{ name: 'W', dims: [K, N], data: w }],
    inputs: [{ name: 'A', dims: [1, K] }],
    outputs: [{ name: 'Y', dims: [1, N] }],
  });
}

/**
 * Packs signed block codes into MatMulNBits' B input: uint8 [N, K / blockSize, blockSize * bits / 8], codes stored
 * unsigned with the default zero point 2^(bits-1); for 4 bits two codes per byte, the even k in the low nibble.
 */
export function packMatMulNBits(q: BlockQuantized): Uint8Array {
  const { K, N, bits } = q;
  const zero = 2 ** (bits - 1);
  const out = new Uint8Array((N * K * bits) / 8);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const u = (q.codes[n * K + k] as number) + zero;
      if (bits === 8) out[n * K + k] = u;
      else out[(n * K + k) >> 1]! |= k % 2 === 0 ? u : u << 4;
    }
  }
  return out;
}

/** y[1,N] = A[1,K] @ dequant(B) with com.microsoft MatMulNBits (float32 activations, accuracy_level 0). */
export function matMulNBitsModel(q: BlockQuantized): Uint8Array {
  const { K, N, bits, blockSize } = q;
  const blocks = K / blockSize;
  return encodeOnnxModel({
    name: `matvec_int${bits}_${K}x${N}`,
    nodes: [
      {
        opType: 'MatMulNBits',
        domain: 'com.microsoft',
        inputs: ['A', 'B', 'scales'],
        outputs: ['Y'],
        attributes: {
          K: { kind: 'int', value: K },
          N: { kind: 'int', value: N },
          bits: { kind: 'int', value: bits },
          block_size: { kind: 'int', value: blockSize },
        },
      },
    ],
    initializers: [
      { name: 'B', dims: [N, blocks, (blockSize * bits) / 8], data: packMatMulNBits(q) },
      { name: 'scales', dims: [N * blocks], data: q.scales },
    ],
    inputs: [{ name: 'A', dims: [1, K] }],
    outputs: [{ name: 'Y', dims: [1, N] }],
    extraOpsets: [{ domain: 'com.microsoft', version: 1 }],
  });
}
