import { solveHeuristic } from './heuristic';
import { solveIlp } from './ilp';
import { BatchProblem, BatchSolution, BatchSolveOptions, now } from './problem';

export type SolverChoice = 'auto' | 'ilp' | 'heuristic';

export interface SolveBatchOptions extends BatchSolveOptions {
  /** Default `auto`. */
  solver?: SolverChoice;
}

/** Below this many binaries HiGHS proves optimality quickly enough to be the default. */
const AUTO_ILP_MAX_VARS = 20_000;
/** Less time than this is not worth starting HiGHS for (load + build alone take tens of ms). */
const AUTO_ILP_MIN_MS = 250;

/**
 * Solves a batch with the chosen solver. `auto` always runs the heuristic first (a few ms);
 * when the instance is small enough and the time limit generous enough it then asks HiGHS,
 * warm-started from the heuristic, and keeps whichever answer is better. So `auto` is never
 * worse than the heuristic and never slower than the time limit by more than the heuristic.
 */
export async function solveBatch(problem: BatchProblem, opts: SolveBatchOptions = {}): Promise<BatchSolution> {
  const choice = opts.solver ?? 'auto';
  if (choice === 'heuristic') return solveHeuristic(problem, opts);
  if (choice === 'ilp') return solveIlp(problem, opts);
  const t0 = now();
  const h = solveHeuristic(problem, opts);
  const limit = opts.timeLimitMs ?? 5_000;
  const vars = problem.n * problem.k;
  const provedOptimal = h.feasible && h.gapPct !== null && h.gapPct <= 1e-9;
  if (provedOptimal || vars > AUTO_ILP_MAX_VARS || limit - h.ms < AUTO_ILP_MIN_MS) {
    return { ...h, solver: 'auto:heuristic' };
  }
  const ilp = await solveIlp(problem, { ...opts, timeLimitMs: limit - (now() - t0), warmStart: h.assignment });
  const better = (ilp.feasible && !h.feasible) || (ilp.feasible === h.feasible && ilp.objective >= h.objective - 1e-12);
  const pick = better ? ilp : h;
  // Whichever assignment is kept, the tighter of the two upper bounds applies to it.
  const bounds = [ilp.bound, h.bound].filter((b): b is number => b !== null);
  const bound = pick.feasible && bounds.length ? Math.max(pick.objective, Math.min(...bounds)) : pick.bound;
  const gapPct = bound === null ? null : (100 * (bound - pick.objective)) / Math.max(Math.abs(bound), 1e-12);
  return { ...pick, bound, gapPct, solver: `auto:${better ? 'ilp' : 'heuristic'}`, ms: now() - t0 };
}
