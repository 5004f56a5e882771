import { problemFromRows } from '../testing/rows';
import { kthLargest } from './capacity-prices';
import { LagrangianRelaxation } from './lagrangian';
import { prepare } from './problem';
import { randomBatchProblem } from './random-instance';
import { pickBestPerQuery } from './selection';

function clearAndPick(relaxation: LagrangianRelaxation, budgetPrice: number): Int32Array {
  relaxation.capacityPrices.clear(relaxation.scores, relaxation.cost, relaxation.priceFactor, budgetPrice);
  const x = new Int32Array(relaxation.n);
  pickBestPerQuery(relaxation, budgetPrice, x);
  return x;
}

describe('CapacityPrices', () => {
  it('prices a full model just above the margin of the first query that must leave it', () => {
    // Every query prefers model 0, by margins 0.4, 0.3, 0.2, 0.1; model 0 holds two.
    const p = problemFromRows(
      [
        [0.9, 0.5],
        [0.8, 0.5],
        [0.7, 0.5],
        [0.6, 0.5],
      ],
      [
        [0, 0],
        [0, 0],
        [0, 0],
        [0, 0],
      ],
      { capacity: [2, Infinity] },
    );
    const prepared = prepare(p);
    const relaxation = new LagrangianRelaxation(prepared, prepared.score);
    const x = clearAndPick(relaxation, 0);
    const price = relaxation.capacityPrice[0];
    expect(price).toBeGreaterThan(0.2);
    expect(price).toBeCloseTo(0.2, 8);
    expect(relaxation.capacityPrice[1]).toBe(0);
    expect(Array.from(x)).toEqual([0, 0, 1, 1]);
  });

  it('leaves every price at 0 when no capacity binds', () => {
    const p = randomBatchProblem({ n: 50, k: 4, seed: 3, budgetFraction: null, capacity: { 1: 50, 2: 49 } });
    const prepared = prepare(p);
    const relaxation = new LagrangianRelaxation(prepared, prepared.score);
    const x = clearAndPick(relaxation, 0);
    expect(relaxation.countPerModel(x)[2]).toBeLessThanOrEqual(49);
    expect(Array.from(relaxation.capacityPrice)).toEqual([0, 0, 0, 0]);
  });

  it('with one capacitated model, leaves it exactly as full as demand and capacity allow, at any budget price', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const p = randomBatchProblem({ n: 200, k: 5, seed, budgetFraction: null, capacity: { 3: 15 } });
      const prepared = prepare(p);
      for (const budgetPrice of [0, 100, 1000, 10_000]) {
        const relaxation = new LagrangianRelaxation(prepared, prepared.score);
        const demand = relaxation.countPerModel(clearAndPick(relaxation, budgetPrice))[3];
        const unpriced = new LagrangianRelaxation(prepared, prepared.score);
        const x = new Int32Array(prepared.n);
        pickBestPerQuery(unpriced, budgetPrice, x);
        const wanted = unpriced.countPerModel(x)[3];
        expect(demand).toBe(Math.min(wanted, 15));
      }
    }
  });
});

describe('kthLargest', () => {
  it('agrees with sorting', () => {
    const values = [0.3, -1, 7, 7, 2.5, 0, 11, -4, 2.5];
    const sorted = [...values].sort((a, b) => b - a);
    for (let kth = 1; kth <= values.length; kth++)
      expect(kthLargest(Float64Array.from(values), kth)).toBe(sorted[kth - 1]);
  });
});
