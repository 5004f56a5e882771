import { ArmId, DecideConstraints } from './policy';

/**
 * Arms allowed by the per-query constraints. A constraint that no arm meets is relaxed
 * rather than failing the query: maxCostUsd falls back to the cheapest arm, minQuality to
 * the arm with the best estimate.
 */
export function eligibleArms(
  available: readonly ArmId[],
  c: DecideConstraints,
  qualityOf: (arm: ArmId) => number,
): ArmId[] {
  if (available.length === 0) throw new Error('no arm available to decide between');
  let arms = [...available];
  if (c.maxCostUsd !== undefined) {
    const cheap = arms.filter((a) => (c.costs[a] ?? 0) <= c.maxCostUsd!);
    arms = cheap.length > 0 ? cheap : [arms.reduce((x, y) => ((c.costs[y] ?? 0) < (c.costs[x] ?? 0) ? y : x))];
  }
  if (c.minQuality !== undefined && arms.length > 1) {
    const good = arms.filter((a) => qualityOf(a) >= c.minQuality!);
    arms = good.length > 0 ? good : [arms.reduce((x, y) => (qualityOf(y) > qualityOf(x) ? y : x))];
  }
  return arms;
}
