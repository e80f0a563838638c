import { describe, expect, it } from 'vitest';
import { averagePrecision, confusion, rocAuc } from '../../../detector/eval/rankingMetrics.js';

describe('ranking metrics', () => {
  it('match hand-computed (scikit-learn) values', () => {
    const scores = [0.1, 0.4, 0.35, 0.8];
    const labels = [false, false, true, true];
    // sklearn.metrics.roc_auc_score([0,0,1,1],[0.1,0.4,0.35,0.8]) = 0.75; average_precision_score = 0.8333
    expect(rocAuc(scores, labels)).toBeCloseTo(0.75, 10);
    expect(averagePrecision(scores, labels)).toBeCloseTo(0.8333333, 6);
  });
  it('count ties as half', () => {
    expect(rocAuc([0.5, 0.5], [false, true])).toBe(0.5);
  });
  it('are 1 for a perfect ranking and NaN without both classes', () => {
    expect(rocAuc([1, 2, 3], [false, true, true])).toBe(1);
    expect(averagePrecision([1, 2, 3], [false, true, true])).toBe(1);
    expect(rocAuc([1, 2], [true, true])).toBeNaN();
  });
  it('confusion counts and rates', () => {
    const c = confusion([true, true, false, false], [true, false, true, false]);
    expect(c).toMatchObject({ tp: 1, fp: 1, fn: 1, tn: 1, precision: 0.5, recall: 0.5, fpr: 0.5, fnr: 0.5 });
  });
});
