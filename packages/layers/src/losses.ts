import { DTypeError, oneHot, scope, ShapeError, type Tensor, ValueError } from '@nibble/core';

/** How per-element losses are combined. */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions {
  /** Targets equal to this index contribute nothing and are left out of the mean (default −100, as in PyTorch). */
  ignoreIndex?: number;
  /** Mixes the one-hot target with the uniform distribution: (1 − ε)·onehot + ε/C (default 0). */
  labelSmoothing?: number;
  /** 'mean' over non-ignored targets (default), 'sum', or 'none' (one loss per target, 0 where ignored). */
  reduction?: Reduction;
}

function checkReduction(where: string, r: string): void {
  if (r !== 'mean' && r !== 'sum' && r !== 'none') throw new ValueError(`${where}: reduction '${r}'; expected 'mean', 'sum' or 'none'`);
}

/**
 * Cross-entropy of logits [..., C] against int32 class labels [...], computed from a stable log-softmax; matches
 * PyTorch's `F.cross_entropy` (class axis last) including `ignore_index` and `label_smoothing`.
 *
 * @example
 * ```ts
 * const logits = tensor([[2, 0, 1], [0.5, 3, -1], [0, 0, 0]]);
 * const loss = crossEntropy(logits, tensor(new Int32Array([2, 0, -100])), { labelSmoothing: 0.1 }); // 3rd ignored
 * ```
 */
export function crossEntropy(logits: Tensor, labels: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const ignoreIndex = options.ignoreIndex ?? -100;
  const smoothing = options.labelSmoothing ?? 0;
  const reduction = options.reduction ?? 'mean';
  checkReduction('crossEntropy', reduction);
  if (labels.dtype !== 'int32') throw new DTypeError(`crossEntropy: labels have dtype ${labels.dtype}; expected int32`);
  if (!(smoothing >= 0 && smoothing <= 1)) throw new ValueError(`crossEntropy: labelSmoothing ${smoothing}; expected a value in [0, 1]`);
  const C = logits.shape.at(-1) ?? 0;
  if (logits.rank !== labels.rank + 1 || labels.shape.some((d, i) => d !== logits.shape[i])) {
    throw new ShapeError(`crossEntropy: logits [${logits.shape.join(',')}] and labels [${labels.shape.join(',')}] disagree; expected logits [...labels, C]`);
  }
  if (labels.backend.readSync) {
    const bad = Array.from(labels.dataSync()).find((l) => l !== ignoreIndex && (l < 0 || l >= C));
    if (bad !== undefined) throw new ValueError(`crossEntropy: label ${bad} is outside [0, ${C}) and is not ignoreIndex ${ignoreIndex}`);
  }
  return scope(() => {
    const logp = logits.logSoftmax(-1);
    // An ignored target contributes nothing: its one-hot row is zero when ignoreIndex is outside [0, C) (the default
    // −100), but an ignoreIndex inside [0, C) (a padding class) has a real row, so the loss is masked explicitly.
    const valid = labels.ne(ignoreIndex).cast('float32');
    const nll = oneHot(labels, C).mul(logp).sum(-1).neg().mul(valid);
    let perTarget = nll;
    if (smoothing > 0) perTarget = nll.mul(1 - smoothing).add(logp.mean(-1).neg().mul(smoothing).mul(valid));
    if (reduction === 'none') return perTarget;
    const total = perTarget.sum();
    return reduction === 'sum' ? total : total.div(valid.sum());
  });
}

/**
 * Mean squared error `(prediction − target)²`, reduced by mean (default), sum, or not at all.
 *
 * @example
 * ```ts
 * const loss = mseLoss(tensor([1, 2, 4]), tensor([0, 2, 1])); // (1 + 0 + 9) / 3
 * ```
 */
export function mseLoss(prediction: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  const reduction = options.reduction ?? 'mean';
  checkReduction('mseLoss', reduction);
  if (prediction.rank !== target.rank || prediction.shape.some((d, i) => d !== target.shape[i])) {
    throw new ShapeError(`mseLoss: prediction [${prediction.shape.join(',')}] and target [${target.shape.join(',')}] differ; expected equal shapes`);
  }
  return scope(() => {
    const sq = prediction.sub(target).square();
    return reduction === 'none' ? sq : reduction === 'sum' ? sq.sum() : sq.mean();
  });
}
