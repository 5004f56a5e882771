import { bruteForce } from '../testing/brute-force';
import { problemFromRows } from '../testing/rows';
import { LagrangianRelaxation } from './lagrangian';
import { cheapestAssignment, searchBudgetPrice } from './lagrangian-bisection';
import { budgetLimit, prepare, preparedCost } from './problem';
import { randomBatchProblem } from './random-instance';

/**
 * Nine queries, a free-quality base model (cost 1) and a premium one (cost 2), premium gains in
 * three groups of three: 0.5, 0.3, 0.1. Query i takes premium at price mu iff gain_i > mu, so
 * the relaxed bill is 9 + #{gain > mu}. A budget of 12 buys three upgrades: the budget binds at
 * mu = 0.3, below which six queries upgrade.
 */
function groupedGains(budget: number | null) {
  const gains = [0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.1, 0.1, 0.1];
  return problemFromRows(
    gains.map((g) => [0, g]),
    gains.map(() => [1, 2]),
    { budget },
  );
}

describe('searchBudgetPrice', () => {
  it('converges to the price at which the budget binds and keeps the assignment that fits', () => {
    const prepared = prepare(groupedGains(12));
    const relaxation = new LagrangianRelaxation(prepared, prepared.score);
    const r = searchBudgetPrice(relaxation, budgetLimit(12), true);
    expect(r.budgetPrice).toBeGreaterThanOrEqual(0.3);
    expect(r.budgetPrice).toBeCloseTo(0.3, 6);
    expect(Array.from(r.assignment)).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0]);
    expect(preparedCost(prepared, r.assignment)).toBe(12);
  });

  it('reports the dual bound, which here is the LP optimum 1.5 (three upgrades of 0.5)', () => {
    const prepared = prepare(groupedGains(12));
    const r = searchBudgetPrice(new LagrangianRelaxation(prepared, prepared.score), budgetLimit(12), true);
    // L(0.3) = 0.3*12 + 3*(0.5-0.6) + 3*(-0.3) + 3*(-0.3) = 1.5; the search visits mu near 0.3.
    expect(r.bound).not.toBeNull();
    expect(r.bound as number).toBeGreaterThanOrEqual(1.5 - 1e-9);
    expect(r.bound as number).toBeLessThan(1.5 + 1e-5);
    expect(searchBudgetPrice(new LagrangianRelaxation(prepared, prepared.score), budgetLimit(12), false).bound).toBe(
      null,
    );
  });

  it('keeps mu = 0 and the quality-greedy assignment when the budget does not bind or is absent', () => {
    for (const budget of [null, 18, 100]) {
      const prepared = prepare(groupedGains(budget));
      const limit = budget === null ? null : budgetLimit(budget);
      const r = searchBudgetPrice(new LagrangianRelaxation(prepared, prepared.score), limit, true);
      expect(r.budgetPrice).toBe(0);
      expect(Array.from(r.assignment)).toEqual(new Array(9).fill(1));
    }
  });

  it('falls back to the cheapest assignment when even a cost-dominated price is over budget', () => {
    const prepared = prepare(groupedGains(5));
    const r = searchBudgetPrice(new LagrangianRelaxation(prepared, prepared.score), budgetLimit(5), true);
    expect(Array.from(r.assignment)).toEqual(new Array(9).fill(0));
  });
});

describe('cheapestAssignment', () => {
  it('finds the brute-force minimum bill under the capacities', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const p = randomBatchProblem({ n: 6, k: 3, seed, budgetFraction: null, capacity: { 0: 2, 1: 3 } });
      const prepared = prepare(p);
      const x = cheapestAssignment(new LagrangianRelaxation(prepared, prepared.score));
      const minCost = bruteForce(p).minCost;
      expect(Math.abs(preparedCost(prepared, x) - minCost)).toBeLessThanOrEqual(1e-12 * minCost);
    }
  });
});
