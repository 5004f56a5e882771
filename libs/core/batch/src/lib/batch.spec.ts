import fc from 'fast-check';
import { bruteForce } from '../testing/brute-force';
import { solveHeuristic } from './heuristic';
import { solveIlp } from './ilp';
import {
  BatchProblem,
  BatchSolveOptions,
  DiscountTier,
  assignmentObjective,
  checkAssignment,
  halfWidthMultiplier,
  normalQuantile,
  protection,
} from './problem';
import { randomBatchProblem } from './random-instance';
import { solveBatch } from './solve';

/** Small instance from plain arrays (row per query). */
function problem(q: number[][], c: number[][], extra: Partial<BatchProblem> = {}): BatchProblem {
  const n = q.length;
  const k = q[0].length;
  return { n, k, quality: Float64Array.from(q.flat()), cost: Float64Array.from(c.flat()), ...extra };
}

/** Arbitrary small batch problem: budgets from "below the cheapest bill" to "unbinding". */
const smallProblem = fc
  .record({
    n: fc.integer({ min: 1, max: 6 }),
    k: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer({ min: 0, max: 1e6 }),
    budgetPos: fc.option(fc.double({ min: -0.2, max: 1.2, noNaN: true }), { nil: null }),
    capacity: fc.array(fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }), { minLength: 3, maxLength: 3 }),
    tiers: fc.array(
      fc.option(
        fc.array(
          fc.record({
            fromCalls: fc.integer({ min: 1, max: 5 }),
            factor: fc.double({ min: 0.3, max: 1, noNaN: true }),
          }),
          { maxLength: 2 },
        ),
        { nil: undefined },
      ),
      { minLength: 3, maxLength: 3 },
    ),
  })
  .map(({ n, k, seed, budgetPos, capacity, tiers }) => {
    const base = randomBatchProblem({ n, k, seed, budgetFraction: null });
    const cap = capacity.slice(0, k);
    // Keep capacities able to hold all n queries: the overflow case has its own test.
    let total = 0;
    for (const c of cap) total += c === undefined ? n : Math.min(c, n);
    if (total < n) cap[0] = undefined;
    const p: BatchProblem = {
      ...base,
      capacity: cap.map((c) => c ?? Infinity),
      tiers: tiers.slice(0, k) as DiscountTier[][],
    };
    if (budgetPos !== null) {
      const bf = bruteForce({ ...p, budget: null });
      let most = 0;
      for (let i = 0; i < n; i++) {
        let m = 0;
        for (let j = 0; j < k; j++) m = Math.max(m, p.cost[i * k + j]);
        most += m;
      }
      p.budget = Math.max(0, bf.minCost + budgetPos * (most - bf.minCost));
    }
    return p;
  });

describe('pricing', () => {
  it('applies all-units discount tiers to every query of a model once its volume reaches the threshold', () => {
    const p = problem([[1], [1], [1], [1]], [[1], [2], [3], [4]], {
      tiers: [
        [
          { fromCalls: 3, factor: 0.5 },
          { fromCalls: 4, factor: 0.25 },
        ],
      ],
    });
    expect(
      checkAssignment(
        { ...p, n: 2, quality: p.quality.subarray(0, 2), cost: p.cost.subarray(0, 2) },
        Int32Array.from([0, 0]),
      ).totalCost,
    ).toBeCloseTo(3, 12);
    expect(
      checkAssignment(
        { ...p, n: 3, quality: p.quality.subarray(0, 3), cost: p.cost.subarray(0, 3) },
        Int32Array.from([0, 0, 0]),
      ).totalCost,
    ).toBeCloseTo(3, 12);
    expect(checkAssignment(p, Int32Array.from([0, 0, 0, 0])).totalCost).toBeCloseTo(2.5, 12);
  });

  it('prices tiers of several models independently, and unsorted tier lists the same as sorted ones', () => {
    const p = problem(
      [
        [1, 1],
        [1, 1],
        [1, 1],
      ],
      [
        [1, 10],
        [1, 10],
        [1, 10],
      ],
      {
        tiers: [
          [
            { fromCalls: 2, factor: 0.9 },
            { fromCalls: 1, factor: 0.95 },
          ],
          [{ fromCalls: 1, factor: 0.5 }],
        ],
      },
    );
    // model 0 has 2 queries -> factor 0.9 on both; model 1 has 1 -> factor 0.5
    expect(checkAssignment(p, Int32Array.from([0, 0, 1])).totalCost).toBeCloseTo(2 * 0.9 + 5, 12);
    expect(checkAssignment(p, Int32Array.from([0, 1, 1])).totalCost).toBeCloseTo(0.95 + 10, 12);
  });

  it('solvers push a model over a discount threshold when only the discount makes the budget feasible', async () => {
    // All on A costs 3 * 1 * 0.5 = 1.5 <= 1.6; any mix with fewer than 3 on A costs more than 1.6
    // unless everything is on the worse model C.
    const p = problem(
      [
        [1, 0],
        [1, 0],
        [1, 0],
      ],
      [
        [1, 0.4],
        [1, 0.4],
        [1, 0.4],
      ],
      { budget: 1.6, tiers: [[{ fromCalls: 3, factor: 0.5 }]] },
    );
    for (const sol of [await solveIlp(p), solveHeuristic(p)]) {
      expect(Array.from(sol.assignment)).toEqual([0, 0, 0]);
      expect(sol.totalCost).toBeCloseTo(1.5, 12);
      expect(sol.feasible).toBe(true);
    }
  });
});

describe('ILP (HiGHS)', () => {
  it('finds the brute-force optimum on random small instances (budget, capacity, tiers)', async () => {
    await fc.assert(
      fc.asyncProperty(smallProblem, async (p) => {
        const bf = bruteForce(p);
        const sol = await solveIlp(p, { mipRelGap: 0 });
        if (bf.optimum === null) {
          expect(sol.feasible).toBe(false);
          expect(sol.totalCost).toBeCloseTo(bf.minCost, 9);
        } else {
          expect(sol.feasible).toBe(true);
          expect(sol.objective).toBeCloseTo(bf.optimum, 9);
        }
      }),
      { numRuns: 60, seed: 7 },
    );
  });

  it('finds the brute-force optimum of the robust objectives (LCB and budgeted uncertainty)', async () => {
    const cases: [BatchSolveOptions, number][] = [
      [{ objective: 'lcb' }, 1],
      [{ objective: 'lcb', level: 0.8 }, 2],
      [{ objective: 'budgeted', gamma: 1.5 }, 3],
      [{ objective: 'budgeted', gamma: 2 }, 4],
      [{ objective: 'budgeted' }, 5],
    ];
    for (const [opts, seed] of cases) {
      const p = randomBatchProblem({ n: 6, k: 3, seed, budgetFraction: 0.4, capacity: { 2: 2 } });
      const bf = bruteForce(p, opts);
      const sol = await solveIlp(p, { ...opts, mipRelGap: 0 });
      expect(sol.objective).toBeCloseTo(bf.optimum as number, 9);
      expect(assignmentObjective(p, sol.assignment, opts)).toBeCloseTo(sol.objective, 12);
    }
  });

  it('returns the cheapest assignment with a warning when even that exceeds the budget', async () => {
    const p = problem(
      [
        [0.9, 0.2],
        [0.8, 0.3],
      ],
      [
        [1, 0.5],
        [1, 0.25],
      ],
      { budget: 0.1 },
    );
    const sol = await solveIlp(p);
    expect(Array.from(sol.assignment)).toEqual([1, 1]);
    expect(sol.feasible).toBe(false);
    expect(sol.totalCost).toBeCloseTo(0.75, 12);
    expect(sol.warnings.join(' ')).toMatch(/infeasible/);
    expect(sol.bound).toBeNull();
  });

  it('reports an upper bound no lower than its objective', async () => {
    const p = randomBatchProblem({ n: 60, k: 4, seed: 3, capacity: { 3: 10 } });
    const sol = await solveIlp(p);
    expect(sol.bound).not.toBeNull();
    expect(sol.bound as number).toBeGreaterThanOrEqual(sol.objective - 1e-9);
    expect(sol.gapPct as number).toBeLessThanOrEqual(0.01 + 1e-9);
  });
});

describe('heuristic', () => {
  it('stays close to the brute-force optimum on small instances and its dual bound is valid', () => {
    let sumOpt = 0;
    let sumHeur = 0;
    fc.assert(
      fc.property(smallProblem, (p) => {
        const bf = bruteForce(p);
        const sol = solveHeuristic(p);
        if (bf.optimum === null) return;
        sumOpt += bf.optimum;
        if (sol.feasible) sumHeur += sol.objective;
        // The bound is an upper bound on the true optimum, not only on the heuristic's value.
        if (sol.bound !== null) expect(sol.bound).toBeGreaterThanOrEqual(bf.optimum - 1e-9);
      }),
      { numRuns: 300, seed: 11 },
    );
    // Tiny instances are where one rounded query matters most; in aggregate we lose < 0.5%.
    expect(sumHeur / sumOpt).toBeGreaterThan(0.995);
  });

  it('is within 0.5% of the HiGHS optimum on mid-size instances with binding budget and capacity', async () => {
    for (const seed of [1, 2, 3]) {
      const p = randomBatchProblem({ n: 300, k: 6, seed, budgetFraction: 0.25, capacity: { 4: 30, 5: 20 } });
      const opt = await solveIlp(p, { mipRelGap: 1e-7 });
      const h = solveHeuristic(p);
      expect(h.feasible).toBe(true);
      expect(h.objective).toBeGreaterThanOrEqual(opt.objective * (1 - 0.005));
      expect(h.bound as number).toBeGreaterThanOrEqual(opt.objective - 1e-7);
      expect(h.gapPct as number).toBeLessThan(0.5);
    }
  });

  it('handles the robust objectives: exact objective accounting, close to the brute-force optimum', () => {
    for (const [opts, seed] of [
      [{ objective: 'lcb' }, 1],
      [{ objective: 'budgeted', gamma: 1 }, 2],
      [{ objective: 'budgeted', gamma: 2.5 }, 3],
    ] as [BatchSolveOptions, number][]) {
      const p = randomBatchProblem({ n: 7, k: 3, seed, budgetFraction: 0.5, capacity: { 2: 3 } });
      const bf = bruteForce(p, opts);
      const h = solveHeuristic(p, opts);
      expect(h.feasible).toBe(true);
      expect(h.objective).toBeCloseTo(assignmentObjective(p, h.assignment, opts), 12);
      expect(h.objective).toBeLessThanOrEqual((bf.optimum as number) + 1e-9);
      expect(h.objective).toBeGreaterThanOrEqual((bf.optimum as number) * 0.97);
      if (h.bound !== null) expect(h.bound).toBeGreaterThanOrEqual((bf.optimum as number) - 1e-9);
    }
  });

  it('returns the cheapest assignment with a warning when even that exceeds the budget', () => {
    const p = problem(
      [
        [0.9, 0.2, 0.5],
        [0.8, 0.3, 0.1],
      ],
      [
        [1, 0.5, 0.5],
        [1, 0.25, 0.3],
      ],
      { budget: 0.1 },
    );
    const sol = solveHeuristic(p);
    // Query 0: both 0.5-dollar models tie on cost, the better one (model 2) wins.
    expect(Array.from(sol.assignment)).toEqual([2, 1]);
    expect(sol.feasible).toBe(false);
    expect(sol.totalCost).toBeCloseTo(0.75, 12);
    expect(sol.warnings.join(' ')).toMatch(/infeasible/);
  });

  it('respects capacity even where every query prefers the capacitated model', () => {
    const p = problem(
      [
        [1, 0],
        [1, 0],
        [1, 0],
        [1, 0],
      ],
      [
        [0, 0],
        [0, 0],
        [0, 0],
        [0, 0],
      ],
      { capacity: [2, Infinity] },
    );
    const sol = solveHeuristic(p);
    expect(Array.from(sol.assignment).filter((j) => j === 0)).toHaveLength(2);
    expect(sol.objective).toBe(2);
    expect(sol.gapPct as number).toBeLessThan(1e-6);
  });
});

describe('both solvers', () => {
  it('never break one-model-per-query, capacity, or (when satisfiable) the budget', async () => {
    await fc.assert(
      fc.asyncProperty(smallProblem, async (p) => {
        const bf = bruteForce(p);
        for (const sol of [solveHeuristic(p), await solveIlp(p)]) {
          const chk = checkAssignment({ ...p, budget: null }, sol.assignment);
          expect(sol.assignment).toHaveLength(p.n);
          expect(chk.violations).toEqual([]); // every query on exactly one real model, capacity held
          expect(sol.totalCost).toBeCloseTo(chk.totalCost, 12);
          expect(sol.feasible).toBe(checkAssignment(p, sol.assignment).feasible);
          if (bf.optimum !== null) expect(sol.feasible).toBe(true);
          if (sol.feasible) expect(sol.objective).toBeLessThanOrEqual((bf.optimum as number) + 1e-9);
        }
        // HiGHS is exact: whenever some assignment fits, it returns one that fits.
        if (bf.optimum !== null) expect((await solveIlp(p)).feasible).toBe(true);
      }),
      { numRuns: 80, seed: 5 },
    );
  });

  it('defer the least valuable queries (assignment -1) when capacities cannot hold them all', async () => {
    const p = problem(
      [
        [0.9, 0.1],
        [0.2, 0.3],
        [0.8, 0.7],
      ],
      [
        [0, 0],
        [0, 0],
        [0, 0],
      ],
      { capacity: [1, 1] },
    );
    for (const sol of [solveHeuristic(p), await solveIlp(p)]) {
      expect(Array.from(sol.assignment)).toEqual([0, -1, 1]);
      expect(sol.objective).toBeCloseTo(1.6, 12);
      expect(sol.warnings.join(' ')).toMatch(/deferred/);
    }
  });
});

describe('solveBatch', () => {
  it('auto never returns less than the heuristic and names the solver it used', async () => {
    const p = randomBatchProblem({ n: 80, k: 4, seed: 9, capacity: { 3: 8 } });
    const h = solveHeuristic(p);
    const a = await solveBatch(p, { timeLimitMs: 5000 });
    expect(a.objective).toBeGreaterThanOrEqual(h.objective - 1e-12);
    expect(a.solver).toMatch(/^auto:(ilp|heuristic)$/);
    const fast = await solveBatch(p, { timeLimitMs: 10 });
    expect(fast.solver).toBe('auto:heuristic');
    expect((await solveBatch(p, { solver: 'ilp' })).solver).toBe('ilp');
    expect((await solveBatch(p, { solver: 'heuristic' })).solver).toBe('heuristic');
  });

  it('robust mode prefers a well-known model over a slightly better but uncertain one', async () => {
    const p = problem([[0.8, 0.75]], [[0, 0]], { halfWidth: Float64Array.from([0.3, 0.02]) });
    expect(Array.from((await solveBatch(p)).assignment)).toEqual([0]);
    expect(Array.from((await solveBatch(p, { objective: 'lcb' })).assignment)).toEqual([1]);
    expect(Array.from((await solveBatch(p, { objective: 'lcb', solver: 'heuristic' })).assignment)).toEqual([1]);
  });
});

describe('numerics', () => {
  it('normal quantiles and half-width rescaling', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
    expect(halfWidthMultiplier(0.95, 0.95)).toBeCloseTo(1, 12);
    expect(halfWidthMultiplier(0.8, 0.95)).toBeCloseTo(1.281552 / 1.959964, 5);
  });

  it('Bertsimas-Sim protection takes the gamma largest deviations, fractionally for the last', () => {
    expect(protection([0.1, 0.5, 0.3], 0)).toBe(0);
    expect(protection([0.1, 0.5, 0.3], 1)).toBeCloseTo(0.5, 12);
    expect(protection([0.1, 0.5, 0.3], 1.5)).toBeCloseTo(0.65, 12);
    expect(protection([0.1, 0.5, 0.3], 10)).toBeCloseTo(0.9, 12);
  });
});
