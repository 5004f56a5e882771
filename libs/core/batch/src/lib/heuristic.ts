import { solveNominal } from './nominal';
import { BatchProblem, BatchSolution, BatchSolveOptions, BatchSolver, finish, now, prepare } from './problem';
import { solveBudgetedUncertainty } from './robust';

/**
 * Fast heuristic: Lagrangian relaxation of the budget (multiplier mu, found by bisection) and
 * of the concurrency limits (multipliers nu_j, found as market-clearing prices), then repair
 * (capacity, then budget) and a greedy improvement pass on the leftover budget.
 *
 * For fixed mu, "assign every query to argmax q - mu*c - nu_j with capacity prices nu" is
 * the exact optimum of the capacity-constrained transportation LP, which is integral; the
 * only integrality loss comes from the budget, i.e. from the few queries that are
 * indifferent at the optimal mu. That is why the gap to the dual bound is tiny when n >> k.
 *
 * The dual bound: for any mu >= 0, nu >= 0,
 *   L(mu, nu) = mu*B + sum_j nu_j*C_j + sum_i max_j (s_ij - mu*c_ij*fmin_j - nu_j)
 * bounds the optimum from above (weak duality; fmin_j is model j's deepest discount, so the
 * relaxed budget row is implied by the true one). Its minimum is the LP bound.
 *
 * The parts, in the order they run:
 * - nominal.ts: one attempt per guess of the discount tiers, keeping the best;
 * - lagrangian-bisection.ts: the search for mu (lagrangian.ts holds the relaxation and the
 *   dual bound, capacity-prices.ts the nu);
 * - selection.ts: each query's argmax, then repair for capacity and budget;
 * - local-search.ts: upgrades and exchanges on the leftover budget;
 * - robust.ts: the `budgeted` objective as a set of nominal problems.
 */
export class HeuristicSolver implements BatchSolver {
  readonly name = 'heuristic';
  async solve(problem: BatchProblem, opts: BatchSolveOptions = {}): Promise<BatchSolution> {
    return solveHeuristic(problem, opts);
  }
}

export function solveHeuristic(problem: BatchProblem, opts: BatchSolveOptions = {}): BatchSolution {
  const startedAt = now();
  const prepared = prepare(problem, opts);
  const warnings: string[] = [];
  if (prepared.n === 0) return finish(problem, prepared, new Int32Array(0), 0, 'heuristic', startedAt, warnings);

  if (prepared.objective === 'budgeted' && prepared.dev && prepared.gamma > 0) {
    const robust = solveBudgetedUncertainty(prepared, warnings);
    return finish(problem, prepared, robust.x, robust.bound, 'heuristic', startedAt, warnings);
  }
  const nominal = solveNominal(prepared, prepared.score, true);
  warnings.push(...nominal.warnings);
  return finish(problem, prepared, nominal.x, nominal.bound, 'heuristic', startedAt, warnings);
}
