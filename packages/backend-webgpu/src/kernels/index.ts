import { BackendError } from '@nibble/core';
import type { KernelCall, KernelOp } from '@nibble/core/spi';
import type { Dispatcher } from './dispatcher.ts';
import { ELEMENTWISE_OPS, runElementwise } from './elementwise.ts';
import { runGather, runScatterAdd } from './indexing.ts';
import { runLstmSequence, runLstmSequenceGrad } from './lstm.ts';
import { runMatmul } from './matmul.ts';
import { runConcat, runPad } from './movement.ts';
import { runPackedMatmul } from './packed-matmul.ts';
import { runFakeQuant } from './quant.ts';
import { runRandomBits } from './random.ts';
import { runArgmax, runReduce } from './reduce.ts';

/** Routes a kernel call to its WGSL kernel. */
export function runKernel(call: KernelCall<KernelOp>, d: Dispatcher): void {
  const op = call.op;
  if (ELEMENTWISE_OPS.has(op)) return runElementwise(call, d);
  switch (op) {
    case 'sum': case 'max': return runReduce(call as KernelCall<'sum' | 'max'>, d);
    case 'argmax': return runArgmax(call as KernelCall<'argmax'>, d);
    case 'pad': return runPad(call as KernelCall<'pad'>, d);
    case 'concat': return runConcat(call as KernelCall<'concat'>, d);
    case 'matmul': return runMatmul(call as KernelCall<'matmul'>, d);
    case 'gather': return runGather(call as KernelCall<'gather'>, d);
    case 'scatterAdd': return runScatterAdd(call as KernelCall<'scatterAdd'>, d);
    case 'randomBits': return runRandomBits(call as KernelCall<'randomBits'>, d);
    case 'fakeQuant': return runFakeQuant(call as KernelCall<'fakeQuant'>, d);
    case 'packedMatmul': return runPackedMatmul(call as KernelCall<'packedMatmul'>, d);
    case 'lstmSequence': return runLstmSequence(call as KernelCall<'lstmSequence'>, d);
    case 'lstmSequenceGrad': return runLstmSequenceGrad(call as KernelCall<'lstmSequenceGrad'>, d);
    default:
      throw new BackendError(`webgpu: no kernel for op '${op}'`);
  }
}
