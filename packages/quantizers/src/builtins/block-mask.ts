import { bernoulli, type RngKey, type Tensor } from '@nibble/core';
import { matrixShape } from '../common/host.ts';

/**
 * A 0/1 float mask of `like`'s shape, constant inside blocks of `blockSize` contiguous elements of each row (spec
 * §3.1), drawn Bernoulli(p) per block from `key`. With a remainder the row's tail is its own shorter block ('pad').
 */
export function blockMask(like: Tensor, blockSize: number, p: number, key: RngKey): Tensor {
  const [rows, cols] = matrixShape(like.shape);
  const blocks = Math.ceil(cols / blockSize);
  const m = bernoulli([rows, blocks], p, key, { runtime: like.runtime, backend: like.backend.name });
  if (blockSize === 1) return m.reshape(like.shape);
  const spread = m.reshape([rows, blocks, 1]).expand([rows, blocks, blockSize]).reshape([rows, blocks * blockSize]);
  const cut = blocks * blockSize === cols ? spread : spread.slice([0, 0], [rows, cols]);
  return cut.reshape(like.shape);
}
