/**
 * Capacity prices nu_j of the Lagrangian relaxation: for a fixed budget price mu, raise nu_j
 * until at most C_j queries prefer model j. The fixed point is a market-clearing price vector,
 * i.e. an optimal dual of the capacitated transportation LP, so "every query takes its argmax
 * of s - mu*c*f - nu" then solves that LP exactly (and integrally).
 */
export class CapacityPrices {
  /** nu_j per model; stays 0 for models without a binding capacity. */
  readonly price: Float64Array;
  /** Models whose capacity is below n: the only ones that can need a price. */
  readonly capacitatedModels: number[];
  /** Per query: how far model j's relaxed value exceeds the best other model's. */
  private readonly margins: Float64Array;
  /** s - mu*c*f per (i, j) for the current mu. */
  private readonly relaxedScores: Float64Array;

  constructor(
    private readonly n: number,
    private readonly k: number,
    private readonly capacity: Float64Array,
  ) {
    this.price = new Float64Array(k);
    this.capacitatedModels = [];
    for (let j = 0; j < k; j++) if (capacity[j] < n) this.capacitatedModels.push(j);
    const needed = this.capacitatedModels.length > 0;
    this.margins = new Float64Array(needed ? n : 0);
    this.relaxedScores = new Float64Array(needed ? n * k : 0);
  }

  /**
   * Sets the prices for budget price mu by Gauss-Seidel over the capacitated models,
   * warm-started from the previous prices (the previous mu). The round cap only matters on
   * adversarial ties, which the capacity repair absorbs.
   */
  clear(scores: Float64Array, cost: Float64Array, priceFactor: Float64Array, budgetPrice: number): void {
    const { n, k, capacity, margins, relaxedScores, price } = this;
    if (this.capacitatedModels.length === 0) return;
    // Computed once per mu: the rounds below only shift them by the prices.
    for (let t = 0, i = 0; i < n; i++)
      for (let j = 0; j < k; j++, t++) relaxedScores[t] = scores[t] - budgetPrice * cost[t] * priceFactor[j];
    for (let round = 0; round < 30; round++) {
      let changed = false;
      for (const j of this.capacitatedModels) {
        let prefersJ = 0;
        for (let i = 0, o = 0; i < n; i++, o += k) {
          let bestOther = -Infinity;
          for (let l = 0; l < k; l++) {
            if (l === j) continue;
            const u = relaxedScores[o + l] - price[l];
            if (u > bestOther) bestOther = u;
          }
          const margin = relaxedScores[o + j] - bestOther;
          margins[i] = margin;
          if (margin > 0) prefersJ++;
        }
        let next = 0;
        const cap = capacity[j];
        if (prefersJ > cap) {
          // Just above the (C_j+1)-th largest margin: at most C_j queries keep model j. At
          // exactly that margin the marginal query would tie, and the tie-break toward the
          // cheaper model could keep it on j, over capacity, making the bisection price an
          // assignment it cannot have.
          const m = kthLargest(margins, cap + 1);
          next = m + Math.max(1e-300, 1e-9 * Math.abs(m));
        }
        // Settled once a round moves no price by more than the tie-breaking nudge could:
        // interlocked capacities otherwise creep upward by that nudge forever.
        if (Math.abs(next - price[j]) > 1e-8 * (1 + Math.abs(price[j]))) {
          changed = true;
          price[j] = next;
        }
      }
      if (!changed || this.capacitatedModels.length === 1) break;
    }
  }
}

/** k-th largest value (1-based) of a; reorders a (Hoare quickselect, expected O(n)). */
export function kthLargest(a: Float64Array, kth: number): number {
  const target = a.length - kth;
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target];
  }
  return a[target];
}
