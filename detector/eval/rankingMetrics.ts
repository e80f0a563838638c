/**
 * Threshold-free quality of a score: ROC-AUC (probability a random attack flow outscores a random
 * benign one, ties counted half) and PR-AUC as average precision (scikit-learn's definition).
 * `labels[i]` is true for attack flows. Both are NaN when one class is missing.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<boolean>): number {
  const order = sortedIndices(scores);
  let positives = 0;
  let negatives = 0;
  let rankSum = 0;
  // Average ranks over ties (Mann–Whitney U).
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]]) {
        positives++;
        rankSum += avgRank;
      } else negatives++;
    }
    i = j + 1;
  }
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<boolean>): number {
  const order = sortedIndices(scores).reverse();
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) positives++;
  if (positives === 0 || positives === labels.length) return NaN;
  let tp = 0;
  let fp = 0;
  let ap = 0;
  let prevRecall = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]]) tp++;
      else fp++;
    }
    const recall = tp / positives;
    const precision = tp / (tp + fp);
    ap += (recall - prevRecall) * precision;
    prevRecall = recall;
    i = j + 1;
  }
  return ap;
}

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  precision: number;
  recall: number;
  fpr: number;
  fnr: number;
}

export function confusion(flagged: ArrayLike<boolean>, labels: ArrayLike<boolean>): Confusion {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    if (flagged[i]) {
      if (labels[i]) tp++;
      else fp++;
    } else if (labels[i]) fn++;
    else tn++;
  }
  const div = (a: number, b: number) => (b === 0 ? NaN : a / b);
  return { tp, fp, tn, fn, precision: div(tp, tp + fp), recall: div(tp, tp + fn), fpr: div(fp, fp + tn), fnr: div(fn, fn + tp) };
}

function sortedIndices(scores: ArrayLike<number>): number[] {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => scores[a] - scores[b]);
  return order;
}
