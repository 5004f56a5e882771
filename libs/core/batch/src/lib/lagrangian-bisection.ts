import { IncrementalAssignment } from './assignment-state';
import { LagrangianRelaxation } from './lagrangian';
import { pickBestPerQuery, repairCapacity } from './selection';

/**
 * The search for the budget price mu: the relaxed bill falls as mu rises, so bracket and
 * bisect for the smallest mu whose relaxed assignment fits the budget. For that mu the
 * assignment is optimal for the capacitated LP up to the few queries indifferent at mu, which
 * the repair and local-search passes settle.
 */

export interface BudgetPriceResult {
  /** mu of the kept assignment (0 when the budget does not bind); the capacity prices match it. */
  budgetPrice: number;
  /** Relaxed assignment at that price, within capacity (not necessarily within budget). */
  assignment: Int32Array;
  /** Lagrangian dual bound, min over the prices visited; null when not asked for. */
  bound: number | null;
}

/**
 * Relaxed assignment at budget price mu: clears the capacity prices for mu, picks each query's
 * argmax and repairs what unsettled prices leave over capacity. Returns its linear bill at the
 * assumed price factors.
 */
export function relaxedAssignment(relaxation: LagrangianRelaxation, budgetPrice: number, x: Int32Array): number {
  const prices = relaxation.capacityPrices;
  prices.clear(relaxation.scores, relaxation.cost, relaxation.priceFactor, budgetPrice);
  const cost = pickBestPerQuery(relaxation, budgetPrice, x);
  if (prices.capacitatedModels.length === 0) return cost;
  const count = relaxation.countPerModel(x);
  let over = false;
  for (const j of prices.capacitatedModels) if (count[j] > relaxation.capacity[j]) over = true;
  if (!over) return cost;
  // Prices that did not fully settle (interlocked capacities) leave a query or two over
  // capacity; the bisection must price an assignment that can exist, so repair it first.
  const state = new IncrementalAssignment(relaxation.prepared, relaxation.scores, x);
  repairCapacity(state, relaxation, budgetPrice);
  x.set(state.x);
  return relaxation.linearCost(x);
}

/**
 * Finds the budget price for `limit` (null: no budget, mu = 0). Leaves the relaxation's
 * capacity prices at the returned mu, which the capacity repair that follows relies on.
 */
export function searchBudgetPrice(
  relaxation: LagrangianRelaxation,
  limit: number | null,
  wantBound: boolean,
): BudgetPriceResult {
  const { n, k, scores, cost, priceFactor } = relaxation;
  let bound: number | null = null;
  // Feasibility accepts a bill up to the tolerant limit, so the bound must cover that too.
  const dualBudget = limit ?? 0;
  const noteBound = (budgetPrice: number): void => {
    if (!wantBound) return;
    const d = relaxation.dualValue(budgetPrice, dualBudget);
    if (bound === null || d < bound) bound = d;
  };

  // The assignment at mu = 0, then reused for each bisection midpoint.
  const candidate = new Int32Array(n);
  const costAtZero = relaxedAssignment(relaxation, 0, candidate);
  noteBound(0);
  if (limit === null || costAtZero <= limit) return { budgetPrice: 0, assignment: candidate, bound };

  // Bracket mu. Scale the first guess so that mu*c is comparable to the quality range.
  let sMin = Infinity;
  let sMax = -Infinity;
  let cSum = 0;
  let minCostGap = Infinity;
  for (let i = 0, o = 0; i < n; i++, o += k) {
    for (let j = 0; j < k; j++) {
      sMin = Math.min(sMin, scores[o + j]);
      sMax = Math.max(sMax, scores[o + j]);
      cSum += cost[o + j];
      for (let l = j + 1; l < k; l++) {
        const d = Math.abs(cost[o + j] * priceFactor[j] - cost[o + l] * priceFactor[l]);
        if (d > 0 && d < minCostGap) minCostGap = d;
      }
    }
  }
  const sRange = sMax - sMin || 1;
  const cMean = cSum / (n * k) || 1;
  // Beyond muMax any saving outweighs any quality difference: the assignment is the cheapest
  // one, quality only breaking ties. Going further only drowns those ties in rounding error.
  const muMax = Number.isFinite(minCostGap) ? (4 * sRange) / minCostGap : sRange / cMean;
  let lo = 0;
  let hi = Math.min(sRange / cMean, muMax);
  const xHi = new Int32Array(n);
  let costHi = relaxedAssignment(relaxation, hi, xHi);
  noteBound(hi);
  let steps = 0;
  while (costHi > limit && hi < muMax && steps++ < 80) {
    lo = hi;
    hi = Math.min(hi * 4, muMax);
    costHi = relaxedAssignment(relaxation, hi, xHi);
    noteBound(hi);
  }
  if (costHi > limit) {
    // Even a cost-dominated mu is over budget. With capacities the cheapest assignment depends
    // on differences of cost differences, which no finite mu separates from quality reliably:
    // solve the pure min-cost problem instead.
    return { budgetPrice: hi, assignment: cheapestAssignment(relaxation), bound };
  }
  while (lo === 0 && steps++ < 160) {
    const mid = hi / 4;
    const xMid = new Int32Array(n);
    const costMid = relaxedAssignment(relaxation, mid, xMid);
    noteBound(mid);
    if (costMid > limit) lo = mid;
    else {
      hi = mid;
      xHi.set(xMid);
    }
  }
  // The improvement and exchange passes spend whatever the last bisection step leaves on the
  // table, so stop once the assignments on both sides of the bracket differ in at most two
  // queries (or the bracket is 1e-7 wide).
  const xOver = new Int32Array(n);
  let haveOver = false;
  for (let it = 0; it < 60 && hi - lo > 1e-7 * hi; it++) {
    // Geometric midpoint while the bracket spans more than a factor 2: mu's scale is unknown.
    const mid = lo > 0 && hi / lo > 2 ? Math.sqrt(lo * hi) : 0.5 * (lo + hi);
    const costMid = relaxedAssignment(relaxation, mid, candidate);
    noteBound(mid);
    if (costMid > limit) {
      lo = mid;
      xOver.set(candidate);
      haveOver = true;
    } else {
      hi = mid;
      xHi.set(candidate);
    }
    if (haveOver && differing(xOver, xHi, 2) <= 2) break;
  }
  // The capacity prices must match the mu whose assignment we keep (the repair uses them).
  relaxation.capacityPrices.clear(scores, cost, priceFactor, hi);
  return { budgetPrice: hi, assignment: xHi, bound };
}

/** Min-cost assignment under the capacities, at the relaxation's current price factors. */
export function cheapestAssignment(relaxation: LagrangianRelaxation): Int32Array {
  const { prepared, n, k } = relaxation;
  // Zero scores and mu = 1: the relaxed value is minus the bill, so the argmax is the cheapest.
  const costOnly = new LagrangianRelaxation(prepared, new Float64Array(n * k));
  costOnly.priceFactor.set(relaxation.priceFactor);
  const x = new Int32Array(n);
  relaxedAssignment(costOnly, 1, x);
  const state = new IncrementalAssignment(prepared, costOnly.scores, x);
  repairCapacity(state, costOnly, 1);
  return state.x;
}

/** Number of positions where a and b differ, counting no further than limit + 1. */
function differing(a: Int32Array, b: Int32Array, limit: number): number {
  let d = 0;
  for (let i = 0; i < a.length && d <= limit; i++) if (a[i] !== b[i]) d++;
  return d;
}
