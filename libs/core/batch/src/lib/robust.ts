import { NominalResult, solveNominal } from './nominal';
import { Prepared, preparedObjective } from './problem';

/** Quantiles of the deviations tried as theta (plus theta = 0). */
const THETA_GRID_STEPS = 16;

/**
 * Bertsimas-Sim budgeted uncertainty: for a fixed theta the robust optimum is a nominal
 * problem with scores s - max(d - theta, 0), minus gamma*theta, and the best theta is one of
 * the deviations (or 0). Trying a grid of quantiles keeps it fast; each candidate is scored by
 * the exact robust objective, so the result is always honestly evaluated.
 */
export function solveBudgetedUncertainty(
  prepared: Prepared,
  warnings: string[],
): { x: Int32Array; bound: number | null } {
  const { n, k } = prepared;
  const deviation = prepared.dev as Float64Array;
  const sorted = Float64Array.from(deviation).sort();
  const thetas = new Set<number>([0]);
  for (let t = 0; t <= THETA_GRID_STEPS; t++)
    thetas.add(sorted[Math.min(sorted.length - 1, Math.floor((t / THETA_GRID_STEPS) * (sorted.length - 1)))]);
  let best: Int32Array | null = null;
  let bestValue = -Infinity;
  let bestFeasible = false;
  // Robust value <= nominal value, so the nominal problem's dual bound is a valid (loose) bound.
  const nominal = solveNominal(prepared, prepared.score, true);
  const shifted = new Float64Array(n * k);
  const consider = (r: NominalResult): void => {
    const value = preparedObjective(prepared, r.x);
    if ((r.feasible && !bestFeasible) || (r.feasible === bestFeasible && value > bestValue)) {
      best = r.x;
      bestValue = value;
      bestFeasible = r.feasible;
    }
  };
  consider(nominal);
  for (const theta of thetas) {
    for (let x = 0; x < n * k; x++) shifted[x] = prepared.score[x] - Math.max(deviation[x] - theta, 0);
    consider(solveNominal(prepared, shifted, false));
  }
  const chosen = best as unknown as Int32Array;
  if (!bestFeasible) warnings.push(...nominal.warnings);
  return { x: chosen, bound: nominal.bound };
}
