import { mulberry32 } from '@llm-router/numerics';
import { BatchProblem, DiscountTier } from './problem';

export interface RandomProblemOptions {
  n: number;
  k: number;
  seed?: number;
  /**
   * Where the budget sits between the cheapest possible bill (0) and the bill of the
   * quality-greedy assignment (1); null = no budget. Default 0.3: binding.
   */
  budgetFraction?: number | null;
  /** Capacity per model index (others unlimited). */
  capacity?: Record<number, number>;
  tiers?: Record<number, DiscountTier[]>;
  /** Include confidence half-widths (default true). */
  halfWidth?: boolean;
}

/**
 * A seeded instance shaped like real routing data: models span two orders of magnitude in
 * price, pricier models are better on average but not on every query, and query length
 * (tokens) scales every model's cost for that query alike.
 */
export function randomBatchProblem(o: RandomProblemOptions): BatchProblem {
  const { n, k } = o;
  const r = mulberry32(o.seed ?? 1);
  const price: number[] = [];
  const skill: number[] = [];
  for (let j = 0; j < k; j++) {
    const rank = k === 1 ? 0.5 : j / (k - 1);
    price.push(1e-6 * Math.pow(100, rank) * (0.7 + 0.6 * r()));
    skill.push(0.45 + 0.4 * rank + 0.1 * (r() - 0.5));
  }
  const quality = new Float64Array(n * k);
  const cost = new Float64Array(n * k);
  const halfWidth = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const tokens = Math.exp(5.5 + 1.0 * (r() + r() + r() - 1.5));
    const difficulty = r();
    for (let j = 0; j < k; j++) {
      const q = skill[j] - 0.35 * difficulty * (1 - skill[j]) + 0.25 * (r() - 0.5);
      quality[i * k + j] = Math.min(1, Math.max(0, q));
      cost[i * k + j] = price[j] * tokens * (0.8 + 0.4 * r());
      halfWidth[i * k + j] = 0.02 + 0.15 * r();
    }
  }
  const capacity: number[] = new Array(k).fill(Infinity);
  for (const [j, c] of Object.entries(o.capacity ?? {})) capacity[Number(j)] = c;
  const tiers: DiscountTier[][] = [];
  for (let j = 0; j < k; j++) tiers.push(o.tiers?.[j] ?? []);
  let budget: number | null = null;
  const bf = o.budgetFraction === undefined ? 0.3 : o.budgetFraction;
  if (bf !== null) {
    let cheapest = 0;
    let greedy = 0;
    for (let i = 0; i < n; i++) {
      let cMin = Infinity;
      let bj = 0;
      for (let j = 0; j < k; j++) {
        cMin = Math.min(cMin, cost[i * k + j]);
        if (quality[i * k + j] > quality[i * k + bj]) bj = j;
      }
      cheapest += cMin;
      greedy += cost[i * k + bj];
    }
    budget = cheapest + bf * (greedy - cheapest);
  }
  return {
    n,
    k,
    quality,
    cost,
    halfWidth: o.halfWidth === false ? undefined : halfWidth,
    budget,
    capacity,
    tiers,
    models: Array.from({ length: k }, (_, j) => `model-${j}`),
  };
}
