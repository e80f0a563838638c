import { expNeg } from './expNeg.js';

/**
 * Lazy exponential damping for three windows whose rates are λ = 1 / window.
 *
 * A damped sum S(t) = Σ e^(-λ(t − tᵢ)) · xᵢ is stored scaled to a fixed origin T0, as
 * Σ e^(λ(tᵢ − T0)) · xᵢ: adding an observation at t is one multiply-add with the growth factor
 * g(t) = e^(λ(t − T0)), the same for every statistic updated at t, and no stored value needs
 * damping on an update. Reading at t multiplies by 1 / g(t) = e^(-λ(t − T0)). The value is the
 * same damped sum (up to rounding); only its storage differs.
 *
 * g grows without bound, so once t is more than `rebaseAfter` shortest windows past the origin the
 * owner must rebase: multiply every stored value of window k by `shrink(k)` (from `startRebase`)
 * and the origin moves to t. With 200 windows the largest factor is e^200 ≈ 7e86, far from
 * float64's range even multiplied by squared lengths and millions of packets.
 */
export class DecayClock {
  /** Decay rate of each window, 1 / window seconds. */
  readonly rates: Float64Array;
  /** Growth factor of each window at `time`: e^(λₖ(time − origin)). */
  readonly growth = new Float64Array(3);
  /** Damping factor of each window at the last `readAt` time: e^(-λₖ(t − origin)). */
  readonly damping = new Float64Array(3);
  /** Factors of the pending rebase (see startRebase). */
  readonly shrink = new Float64Array(3);
  /** Time the growth factors are for (the latest update time). */
  time = -Infinity;
  /** The origin T0. */
  origin = 0;
  private readonly rebaseSpan: number;
  private readonly chain10: boolean;

  constructor(windowsS: readonly number[], rebaseAfter = 200) {
    if (windowsS.length !== 3) throw new RangeError('DecayClock needs exactly three windows');
    this.rates = Float64Array.from(windowsS, (w) => 1 / w);
    this.rebaseSpan = rebaseAfter * Math.min(...windowsS);
    this.chain10 = windowsS[1] === 10 * windowsS[0] && windowsS[2] === 10 * windowsS[1];
    this.growth.fill(1);
  }

  /**
   * Moves to update time t (t ≥ the previous time). Returns true when a rebase is due first: the
   * caller multiplies stored values by `shrink` (set by this call), then calls `finishRebase(t)`.
   */
  advance(t: number): boolean {
    if (t - this.origin > this.rebaseSpan || this.time === -Infinity) {
      this.startRebase(t);
      return true;
    }
    this.time = t;
    this.setGrowth(t - this.origin);
    return false;
  }

  /** Completes a rebase to origin t (after the stored values were multiplied by `shrink`). */
  finishRebase(t: number): void {
    this.origin = t;
    this.time = t;
    this.growth.fill(1);
  }

  /** Sets `damping` to the factors that turn stored values into damped sums at time t. */
  readAt(t: number): Float64Array {
    const y = (t - this.origin) * this.rates[2];
    const d = this.damping;
    if (y >= 0) {
      d[2] = expNeg(y);
      if (this.chain10) {
        d[1] = pow10(d[2]);
        d[0] = pow10(d[1]);
      } else {
        d[1] = expNeg((t - this.origin) * this.rates[1]);
        d[0] = expNeg((t - this.origin) * this.rates[0]);
      }
    } else {
      for (let k = 0; k < 3; k++) d[k] = Math.exp(-(t - this.origin) * this.rates[k]);
    }
    return d;
  }

  private startRebase(t: number): void {
    const dt = this.time === -Infinity ? 0 : t - this.origin;
    for (let k = 0; k < 3; k++) this.shrink[k] = dt > 0 ? expNeg(dt * this.rates[k]) : 1;
  }

  private setGrowth(dt: number): void {
    const g = this.growth;
    if (this.chain10) {
      const g2 = Math.exp(dt * this.rates[2]);
      const g1 = pow10(g2);
      g[0] = pow10(g1);
      g[1] = g1;
      g[2] = g2;
    } else {
      for (let k = 0; k < 3; k++) g[k] = Math.exp(dt * this.rates[k]);
    }
  }
}

function pow10(x: number): number {
  const x2 = x * x;
  const x4 = x2 * x2;
  return x4 * x4 * x2;
}
