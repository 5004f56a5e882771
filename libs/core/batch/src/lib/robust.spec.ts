import { bruteForce } from '../testing/brute-force';
import { solveNominal } from './nominal';
import { BatchSolveOptions, budgetLimit, prepare, preparedCost, preparedObjective } from './problem';
import { randomBatchProblem } from './random-instance';
import { solveBudgetedUncertainty } from './robust';

describe('solveBudgetedUncertainty', () => {
  it('is never worse under the robust objective than the nominal answer, and its bound is valid', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const p = randomBatchProblem({ n: 6, k: 3, seed, budgetFraction: 0.4, capacity: { 2: 3 } });
      const opts: BatchSolveOptions = { objective: 'budgeted', gamma: 1 + (seed % 3) };
      const prepared = prepare(p, opts);
      const warnings: string[] = [];
      const robust = solveBudgetedUncertainty(prepared, warnings);
      const nominal = solveNominal(prepared, prepared.score, false);
      const value = preparedObjective(prepared, robust.x);
      expect(value).toBeGreaterThanOrEqual(preparedObjective(prepared, nominal.x) - 1e-12);
      expect(preparedCost(prepared, robust.x)).toBeLessThanOrEqual(budgetLimit(p.budget as number));
      expect(warnings).toEqual([]);
      const optimum = bruteForce(p, opts).optimum as number;
      expect(value).toBeLessThanOrEqual(optimum + 1e-12);
      expect(robust.bound as number).toBeGreaterThanOrEqual(optimum - 1e-9);
    }
  });
});
