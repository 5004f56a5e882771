import { Prepared } from './problem';
import { CapacityPrices } from './capacity-prices';

/**
 * The Lagrangian relaxation of one nominal problem: scores s (quality, or its lower bound), list
 * costs c, and the prices that relax the constraints. The budget price mu is passed explicitly
 * to every method; the capacity prices nu live here because each search warm-starts from the
 * previous ones.
 *
 * Relaxed value of query i on model j: s_ij - mu * c_ij * f_j - nu_j, where f_j is the price
 * factor assumed for model j (discount tiers make the true one depend on volume).
 */
export class LagrangianRelaxation {
  readonly n: number;
  readonly k: number;
  readonly cost: Float64Array;
  readonly capacity: Float64Array;
  /** f_j: price factor assumed for each model while relaxing; the caller sets it per attempt. */
  readonly priceFactor: Float64Array;
  /** Deepest discount of each model: prices the relaxed budget row for the dual bound. */
  readonly deepestFactor: Float64Array;
  readonly capacityPrices: CapacityPrices;
  readonly hasTiers: boolean;

  constructor(
    readonly prepared: Prepared,
    readonly scores: Float64Array,
  ) {
    this.n = prepared.n;
    this.k = prepared.k;
    this.cost = prepared.cost;
    this.capacity = prepared.cap;
    this.priceFactor = new Float64Array(this.k).fill(1);
    this.deepestFactor = new Float64Array(this.k);
    let hasTiers = false;
    for (let j = 0; j < this.k; j++) {
      const t = prepared.tiers[j];
      this.deepestFactor[j] = t ? Math.min(...t.fac) : 1;
      if (t) hasTiers = true;
    }
    this.hasTiers = hasTiers;
    this.capacityPrices = new CapacityPrices(this.n, this.k, this.capacity);
  }

  /** nu_j per model (0 for models without a capacity limit). */
  get capacityPrice(): Float64Array {
    return this.capacityPrices.price;
  }

  /** s_ij - mu * c_ij * f_j: the relaxed value before capacity prices. */
  lagrangianScore(budgetPrice: number, i: number, j: number): number {
    const o = i * this.k + j;
    return this.scores[o] - budgetPrice * this.cost[o] * this.priceFactor[j];
  }

  /** Linear bill of x at the assumed price factors (what the budget price search trades off). */
  linearCost(x: Int32Array): number {
    let total = 0;
    for (let i = 0; i < this.n; i++) total += this.cost[i * this.k + x[i]] * this.priceFactor[x[i]];
    return total;
  }

  countPerModel(x: Int32Array): Int32Array {
    const count = new Int32Array(this.k);
    for (let i = 0; i < this.n; i++) count[x[i]]++;
    return count;
  }

  /**
   * Dual function L(mu, nu) at the current capacity prices, with the budget row priced at the
   * deepest discounts so that it is implied by the true (tiered) budget row: an upper bound on
   * the optimum by weak duality.
   */
  dualValue(budgetPrice: number, budget: number): number {
    const { n, k, scores, cost, deepestFactor, capacity } = this;
    const nu = this.capacityPrice;
    let value = budgetPrice * budget;
    for (const j of this.capacityPrices.capacitatedModels) value += nu[j] * capacity[j];
    for (let i = 0, o = 0; i < n; i++, o += k) {
      let best = -Infinity;
      for (let j = 0; j < k; j++) {
        const u = scores[o + j] - budgetPrice * cost[o + j] * deepestFactor[j] - nu[j];
        if (u > best) best = u;
      }
      value += best;
    }
    return value;
  }
}
