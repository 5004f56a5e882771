import { BatchProblem, BatchSolveOptions, assignmentObjective, checkAssignment, withinBudget } from '../lib/problem';

export interface BruteForceResult {
  /** Best objective over budget- and capacity-feasible assignments; null if none exists. */
  optimum: number | null;
  best: Int32Array | null;
  /** Smallest bill over capacity-feasible assignments. */
  minCost: number;
}

/** Enumerates all k^n assignments (test oracle: keep k^n small). */
export function bruteForce(p: BatchProblem, opts: BatchSolveOptions = {}): BruteForceResult {
  const { n, k } = p;
  const x = new Int32Array(n);
  let optimum: number | null = null;
  let best: Int32Array | null = null;
  let minCost = Infinity;
  const total = Math.pow(k, n);
  if (total > 2_000_000) throw new Error('bruteForce: instance too large');
  for (let code = 0; code < total; code++) {
    let c = code;
    for (let i = 0; i < n; i++) {
      x[i] = c % k;
      c = Math.floor(c / k);
    }
    const chk = checkAssignment({ ...p, budget: null }, x);
    if (!chk.feasible) continue; // capacity
    minCost = Math.min(minCost, chk.totalCost);
    if (!withinBudget(chk.totalCost, p.budget)) continue;
    const v = assignmentObjective(p, x, opts);
    if (optimum === null || v > optimum) {
      optimum = v;
      best = Int32Array.from(x);
    }
  }
  return { optimum, best, minCost };
}
