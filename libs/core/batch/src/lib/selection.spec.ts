import { problemFromRows } from '../testing/rows';
import { IncrementalAssignment } from './assignment-state';
import { LagrangianRelaxation } from './lagrangian';
import { BatchProblem, prepare, preparedCost } from './problem';
import { randomBatchProblem } from './random-instance';
import { pickBestPerQuery, repairBudget, repairCapacity } from './selection';

function setUp(p: BatchProblem, x: number[]) {
  const prepared = prepare(p);
  const relaxation = new LagrangianRelaxation(prepared, prepared.score);
  const state = new IncrementalAssignment(prepared, prepared.score, Int32Array.from(x));
  return { prepared, relaxation, state };
}

describe('pickBestPerQuery', () => {
  it('takes each query to its best relaxed value and breaks ties toward the cheaper model', () => {
    const p = problemFromRows(
      [
        [0.5, 0.5, 0.4],
        [0.2, 0.9, 0.3],
      ],
      [
        [2, 1, 0.5],
        [1, 1, 1],
      ],
    );
    const { relaxation } = setUp(p, [0, 0]);
    const x = new Int32Array(2);
    expect(pickBestPerQuery(relaxation, 0, x)).toBe(2);
    expect(Array.from(x)).toEqual([1, 1]);
    // At mu = 1 query 0's values are -1.5, -0.5, -0.1: the cheapest model wins.
    expect(pickBestPerQuery(relaxation, 1, x)).toBe(1.5);
    expect(Array.from(x)).toEqual([2, 1]);
  });
});

describe('repairCapacity', () => {
  it('moves off a full model the queries that lose least', () => {
    // Model 0 holds one query; losses of moving to model 1 are 0.4, 0.2, 0.05.
    const p = problemFromRows(
      [
        [0.9, 0.5],
        [0.8, 0.6],
        [0.7, 0.65],
      ],
      [
        [0, 0],
        [0, 0],
        [0, 0],
      ],
      { capacity: [1, Infinity] },
    );
    const { relaxation, state } = setUp(p, [0, 0, 0]);
    repairCapacity(state, relaxation, 0);
    expect(Array.from(state.x)).toEqual([0, 1, 1]);
  });

  it('displaces a query from another full model when that chain loses less than any direct move', () => {
    // A and B sit on model 0 (capacity 1), C on model 1 (capacity 1). Sending A or B straight
    // to model 2 loses 1.0; A -> 1 and C -> 2 loses 0.1 + 0.05.
    const p = problemFromRows(
      [
        [1.0, 0.9, 0.0],
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.95],
      ],
      [
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
      ],
      { capacity: [1, 1, Infinity] },
    );
    const { relaxation, state } = setUp(p, [0, 0, 1]);
    repairCapacity(state, relaxation, 0);
    expect(Array.from(state.x)).toEqual([1, 0, 2]);
  });

  it('always ends within capacity, with the incremental bill equal to the recomputed one', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const p = randomBatchProblem({
        n: 60,
        k: 4,
        seed,
        capacity: { 0: 10, 1: 5, 2: 20 },
        tiers: { 3: [{ fromCalls: 20, factor: 0.6 }] },
      });
      const { prepared, relaxation, state } = setUp(p, new Array(60).fill(seed % 3));
      repairCapacity(state, relaxation, seed * 10);
      expect(state.overCapacity()).toBe(0);
      expect(state.total).toBeCloseTo(preparedCost(prepared, state.x), 12);
    }
  });
});

describe('repairBudget', () => {
  it('downgrades the query that loses least per dollar saved, and stops once the bill fits', () => {
    // Both premium queries save 1 by downgrading; query 0 loses 0.1, query 1 loses 0.3.
    const p = problemFromRows(
      [
        [0.5, 0.6],
        [0.3, 0.6],
      ],
      [
        [1, 2],
        [1, 2],
      ],
    );
    const { state } = setUp(p, [1, 1]);
    repairBudget(state, 3);
    expect(Array.from(state.x)).toEqual([0, 1]);
    expect(state.total).toBe(3);
  });

  it('reaches a budget above the cheapest bill and stays within capacity', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const p = randomBatchProblem({ n: 80, k: 5, seed, budgetFraction: 0.2, capacity: { 4: 8 } });
      const { prepared, relaxation, state } = setUp(p, new Array(80).fill(4));
      repairCapacity(state, relaxation, 0);
      const limit = prepared.budget as number;
      repairBudget(state, limit);
      expect(state.total).toBeLessThanOrEqual(limit);
      expect(state.overCapacity()).toBe(0);
    }
  });
});
