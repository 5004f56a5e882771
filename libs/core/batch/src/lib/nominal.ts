import { IncrementalAssignment } from './assignment-state';
import { searchBudgetPrice } from './lagrangian-bisection';
import { LagrangianRelaxation } from './lagrangian';
import { exchangeUpgradeForDowngrade, spendLeftoverOnUpgrades } from './local-search';
import { Prepared, budgetLimit, preparedCost, tierFactor } from './problem';
import { repairBudget, repairCapacity } from './selection';

export interface NominalResult {
  x: Int32Array;
  /** Lagrangian dual bound on the objective over the scores; null when not computed. */
  bound: number | null;
  feasible: boolean;
  warnings: string[];
}

/** Exchange rounds after the first upgrade pass; each is followed by another upgrade pass. */
const EXCHANGE_ROUNDS = 4;
/** Rounds of "price each model at the tier the last solution reached". */
const TIER_FIXED_POINT_ROUNDS = 3;

/**
 * The nominal (linear objective) problem over `scores`: one pass of price search, repair and
 * local search per guess of the discount tiers, keeping the best result.
 */
export function solveNominal(prepared: Prepared, scores: Float64Array, wantBound: boolean): NominalResult {
  const tieredModels: number[] = [];
  if (prepared.budget !== null) for (let j = 0; j < prepared.k; j++) if (prepared.tiers[j]) tieredModels.push(j);
  // One relaxation for every attempt: its capacity prices warm-start the next search.
  const relaxation = new LagrangianRelaxation(prepared, scores);
  const factor = relaxation.priceFactor;
  let best: NominalResult | null = null;
  let bestValue = -Infinity;
  let bestCost = Infinity;
  let bound: number | null = null;
  let latest: Int32Array = new Int32Array(0);
  const attempt = (): void => {
    const result = solveAtPriceFactors(relaxation, wantBound);
    latest = result.x;
    const value = linearObjective(prepared, scores, result.x);
    const cost = preparedCost(prepared, result.x);
    if (result.bound !== null && (bound === null || result.bound < bound)) bound = result.bound;
    // Feasible beats infeasible; among feasible the better objective wins, among infeasible
    // the cheaper bill (the documented fallback is the cheapest assignment).
    const wins =
      best === null ||
      (result.feasible && !best.feasible) ||
      (result.feasible && best.feasible && value > bestValue) ||
      (!result.feasible &&
        !best.feasible &&
        (cost < bestCost - 1e-15 || (cost <= bestCost + 1e-15 && value > bestValue)));
    if (wins) {
      best = result;
      bestValue = value;
      bestCost = cost;
    }
  };
  attempt();
  if (tieredModels.length > 0) {
    // Discounts make cost nonlinear in volume. First iterate "price every model at the tier
    // the last solution reached" (a fixed point is typical after a round or two)...
    for (let r = 0; r < TIER_FIXED_POINT_ROUNDS; r++) {
      const count = relaxation.countPerModel(latest);
      let same = true;
      for (const j of tieredModels) {
        const f = tierFactor(prepared.tiers[j], count[j]);
        if (f !== factor[j]) same = false;
        factor[j] = f;
      }
      if (same) break;
      attempt();
    }
    const reached = Float64Array.from(factor);
    // ...then, since all-units pricing rewards pushing a model over a threshold it would not
    // reach on its own, try pricing each model at each of its deeper tiers up front.
    for (const j of tieredModels) {
      const schedule = prepared.tiers[j] as { fac: number[] };
      for (let t = 1; t < schedule.fac.length; t++) {
        factor.set(reached);
        factor[j] = schedule.fac[t];
        attempt();
      }
    }
  }
  const chosen = best as unknown as NominalResult;
  return { ...chosen, bound };
}

/**
 * One attempt at the relaxation's current price factors: the budget price search, then
 * capacity repair, budget repair and local search on the exact (tiered) bill.
 */
function solveAtPriceFactors(relaxation: LagrangianRelaxation, wantBound: boolean): NominalResult {
  const { prepared } = relaxation;
  const warnings: string[] = [];
  // The tolerant limit of budgetLimit(): the same verdict as checkAssignment.
  const limit = prepared.budget === null ? null : budgetLimit(prepared.budget);
  const search = searchBudgetPrice(relaxation, limit, wantBound);
  const state = new IncrementalAssignment(prepared, relaxation.scores, search.assignment);
  repairCapacity(state, relaxation, search.budgetPrice);
  if (limit !== null) {
    repairBudget(state, limit);
    // Over budget even so: keep the bill, but take any upgrade that costs nothing.
    if (state.total > limit) spendLeftoverOnUpgrades(state, state.total);
    spendLeftoverOnUpgrades(state, limit);
    for (let r = 0; r < EXCHANGE_ROUNDS && exchangeUpgradeForDowngrade(state, limit); r++)
      spendLeftoverOnUpgrades(state, limit);
  } else {
    spendLeftoverOnUpgrades(state, Infinity);
  }
  const feasible = state.overCapacity() === 0 && (limit === null || state.total <= limit);
  if (limit !== null && state.total > limit) {
    warnings.push(
      `budget ${prepared.budget} USD is infeasible: the cheapest assignment found costs ${state.total} USD; returning it`,
    );
  }
  return { x: state.x, bound: search.bound, feasible, warnings };
}

/** Sum of the chosen scores (no robust protection term). */
export function linearObjective(prepared: Prepared, scores: Float64Array, x: Int32Array): number {
  let value = 0;
  for (let i = 0; i < prepared.n; i++) value += scores[i * prepared.k + x[i]];
  return value;
}
