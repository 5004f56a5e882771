import fc from 'fast-check';
import { problemFromRows } from '../testing/rows';
import { IncrementalAssignment } from './assignment-state';
import { LagrangianRelaxation } from './lagrangian';
import { cheapestAssignment } from './lagrangian-bisection';
import { exchangeUpgradeForDowngrade, orderByDescending, spendLeftoverOnUpgrades } from './local-search';
import { linearObjective } from './nominal';
import { Prepared, prepare, preparedCost } from './problem';
import { randomBatchProblem } from './random-instance';

function expectSound(prepared: Prepared, state: IncrementalAssignment, limit: number, before: number): number {
  const value = linearObjective(prepared, prepared.score, state.x);
  expect(value).toBeGreaterThanOrEqual(before - 1e-12);
  expect(state.total).toBeLessThanOrEqual(limit);
  expect(state.overCapacity()).toBe(0);
  expect(Math.abs(state.total - preparedCost(prepared, state.x))).toBeLessThanOrEqual(1e-12 * (1 + state.total));
  return value;
}

describe('local search', () => {
  it('never lowers the objective and never breaks capacity or the budget (tiers included)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e6 }),
        fc.integer({ min: 2, max: 60 }),
        fc.integer({ min: 2, max: 5 }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.boolean(),
        (seed, n, k, headroom, tiered) => {
          const p = randomBatchProblem({
            n,
            k,
            seed,
            budgetFraction: null,
            capacity: { [k - 1]: Math.ceil(n / 4) },
            tiers: tiered
              ? { [k - 1]: [{ fromCalls: Math.ceil(n / 8), factor: 0.5 }], 0: [{ fromCalls: 2, factor: 0.8 }] }
              : {},
          });
          const prepared = prepare(p);
          const start = cheapestAssignment(new LagrangianRelaxation(prepared, prepared.score));
          const limit = preparedCost(prepared, start) * (1 + headroom);
          const state = new IncrementalAssignment(prepared, prepared.score, start);
          let value = expectSound(prepared, state, limit, -Infinity);
          spendLeftoverOnUpgrades(state, limit);
          value = expectSound(prepared, state, limit, value);
          for (let r = 0; r < 4; r++) {
            const improved = exchangeUpgradeForDowngrade(state, limit);
            const next = expectSound(prepared, state, limit, value);
            if (improved) expect(next).toBeGreaterThan(value);
            value = next;
            spendLeftoverOnUpgrades(state, limit);
            value = expectSound(prepared, state, limit, value);
          }
        },
      ),
      { numRuns: 150, seed: 7 },
    );
  });

  it('exchange undoes the greedy knapsack mistake of a cheap upgrade blocking a better, pricier one', () => {
    // Upgrades: query 0 gains 0.3 for 1 USD (0.3/USD), query 1 gains 0.5 for 2 USD (0.25/USD).
    // With 2 USD the greedy takes query 0's and has 1 USD left; the best is query 1's alone.
    const p = problemFromRows(
      [
        [0, 0.3],
        [0, 0.5],
      ],
      [
        [0, 1],
        [0, 2],
      ],
    );
    const prepared = prepare(p);
    const state = new IncrementalAssignment(prepared, prepared.score, Int32Array.from([0, 0]));
    spendLeftoverOnUpgrades(state, 2);
    expect(Array.from(state.x)).toEqual([1, 0]);
    expect(exchangeUpgradeForDowngrade(state, 2)).toBe(true);
    expect(Array.from(state.x)).toEqual([0, 1]);
    expect(exchangeUpgradeForDowngrade(state, 2)).toBe(false);
  });
});

describe('orderByDescending', () => {
  it('ranks the first m values largest first, as a comparator sort does', () => {
    const values = Float64Array.from([0.25, 3, 1e-9, 7.5, 0.5, 2, 9e6, 0.001, 99]);
    for (const m of [0, 1, 5, values.length]) {
      const expected = Array.from({ length: m }, (_, t) => t).sort((u, v) => values[v] - values[u]);
      expect(Array.from(orderByDescending(values, m))).toEqual(expected);
    }
  });
});
