import { split, type Tensor, ValueError } from '@nibble/core';

const RENAMES: readonly [RegExp, string][] = [
  [/(^|\.)weight_ih_l(\d+)$/, '$1weightIh$2'],
  [/(^|\.)weight_hh_l(\d+)$/, '$1weightHh$2'],
  [/(^|\.)bias_ih_l(\d+)$/, '$1biasIh$2'],
  [/(^|\.)bias_hh_l(\d+)$/, '$1biasHh$2'],
  [/(^|\.)self_attn\./, '$1selfAttn.'],
  [/(^|\.)multihead_attn\./, '$1crossAttn.'],
  [/(^|\.)out_proj\./, '$1out.'],
];

/**
 * Converts a PyTorch state dict (names and layouts of `nn.Linear`, `nn.LSTM`, `nn.MultiheadAttention`,
 * `nn.TransformerEncoderLayer`/`DecoderLayer`, `nn.LayerNorm`, `nn.Embedding`) to this package's names: `weight_ih_l0`
 * → `weightIh0`, `self_attn` → `selfAttn`, `multihead_attn` → `crossAttn`, `out_proj` → `out`, and the packed
 * `in_proj_weight`/`in_proj_bias` split into `q`, `k`, `v`. The returned tensors are views of the given ones (dispose
 * them after `loadStateDict`, which copies). Bidirectional LSTMs (`_reverse`) are not supported.
 *
 * @example
 * ```ts
 * const torchState = { 'self_attn.in_proj_weight': w, 'self_attn.in_proj_bias': b, ... }; // e.g. from safetensors
 * layer.loadStateDict(fromTorchStateDict(torchState));
 * ```
 */
export function fromTorchStateDict(state: Record<string, Tensor> | Map<string, Tensor>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const put = (name: string, t: Tensor) => {
    if (out.has(name)) throw new ValueError(`fromTorchStateDict: two entries map to '${name}'`);
    out.set(name, t);
  };
  for (const [name, value] of state instanceof Map ? state : Object.entries(state)) {
    if (name.endsWith('_reverse')) throw new ValueError(`fromTorchStateDict: '${name}' belongs to a bidirectional LSTM; expected a unidirectional one`);
    const packed = /^(.*?)in_proj_(weight|bias)$/.exec(name);
    if (packed) {
      const prefix = packed[1]!.replace(/(^|\.)self_attn\.$/, '$1selfAttn.').replace(/(^|\.)multihead_attn\.$/, '$1crossAttn.');
      const [q, k, v] = split(value, 3, 0) as [Tensor, Tensor, Tensor];
      put(`${prefix}q.${packed[2]}`, q);
      put(`${prefix}k.${packed[2]}`, k);
      put(`${prefix}v.${packed[2]}`, v);
      continue;
    }
    put(RENAMES.reduce((n, [re, to]) => n.replace(re, to), name), value.reshape(value.shape));
  }
  return out;
}
