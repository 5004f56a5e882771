import { WindowEstimates, plannedScore } from './window-estimates';

/**
 * Every `stride`-th item, at most `max` of them (from the end when `fromEnd`, newest first): the
 * queries a mix is re-estimated on each window, few enough to re-estimate every time.
 */
export function strideSample<T>(xs: readonly T[], max: number, fromEnd = false): T[] {
  const stride = Math.max(1, Math.ceil(xs.length / max));
  const out: T[] = [];
  if (fromEnd) for (let p = xs.length - 1; p >= 0; p -= stride) out.push(xs[p]);
  else for (let p = 0; p < xs.length; p += stride) out.push(xs[p]);
  return out;
}

/** Queries a mix is re-estimated on per window (routed so far, or a forecast): a stride sample beyond this many. */
export const MIX_SAMPLE_MAX = 2000;

/**
 * A mix of queries (those routed so far, or a forecast of the period's), each with its planned
 * score and expected cost per arm: the planner's picture of what money buys on a typical
 * query, from which the dual price of the dollar is set.
 */
export class EstimatedMix {
  private score: Float64Array;
  private cost: Float64Array;
  private available: Uint8Array;
  n = 0;

  constructor(readonly k: number) {
    this.score = new Float64Array(1024 * k);
    this.cost = new Float64Array(1024 * k);
    this.available = new Uint8Array(1024 * k);
  }

  clear(): void {
    this.n = 0;
  }

  /** Adds queries [from, to) of `e`, scored with z half-widths off the mean. */
  add(e: WindowEstimates, z: number, from = 0, to = e.n): void {
    const { k } = this;
    const m = to - from;
    this.reserve((this.n + m) * k);
    for (let i = from; i < to; i++) {
      for (let j = 0; j < k; j++) {
        const src = i * k + j;
        const dst = this.n * k + j;
        this.available[dst] = e.available[src];
        this.score[dst] = e.available[src] ? plannedScore(e, src, z) : 0;
        this.cost[dst] = e.available[src] ? e.cost[src] : 0;
      }
      this.n++;
    }
  }

  private reserve(need: number): void {
    if (need <= this.score.length) return;
    const size = Math.max(need, 2 * this.score.length);
    const grow = <T extends Float64Array | Uint8Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.score = grow(this.score, new Float64Array(size));
    this.cost = grow(this.cost, new Float64Array(size));
    this.available = grow(this.available, new Uint8Array(size));
  }

  /** Mean cost per query when every query takes its best arm at price mu (the cheaper on ties). */
  spendAt(mu: number): number {
    const { k, score, cost, available } = this;
    let total = 0;
    for (let i = 0; i < this.n; i++) {
      let best = -Infinity;
      let c = 0;
      for (let j = 0; j < k; j++) {
        const x = i * k + j;
        if (!available[x]) continue;
        const v = score[x] - mu * cost[x];
        if (v > best || (v === best && cost[x] < c)) {
          best = v;
          c = cost[x];
        }
      }
      total += c;
    }
    return this.n > 0 ? total / this.n : 0;
  }

  /**
   * The smallest price of a dollar (in score units) at which the mix spends at most `target`
   * per query: the dual price of the budget if the rest of the period looks like this mix.
   */
  clearingPrice(target: number): number {
    if (this.spendAt(0) <= target) return 0;
    let lo = 0;
    let hi = 1;
    while (this.spendAt(hi) > target && hi < 1e15) {
      lo = hi;
      hi *= 4;
    }
    for (let it = 0; it < 60 && hi - lo > 1e-9 * hi; it++) {
      const mid = lo === 0 ? hi / 2 : Math.sqrt(lo * hi);
      if (this.spendAt(mid) > target) lo = mid;
      else hi = mid;
    }
    return hi;
  }
}
