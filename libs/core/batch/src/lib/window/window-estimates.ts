/**
 * What a window planner knows about the queries of one window: per (query, arm), the quality
 * estimate, its confidence half-width, the expected cost, and whether the query may go to that
 * arm at all. Flat row-major arrays, entry (i, j) at i*k + j, like BatchProblem.
 */
export interface WindowEstimates {
  n: number;
  k: number;
  /** Quality estimate (mean, or anything the caller wants maximised), used only where available. */
  quality: Float64Array;
  /** Confidence half-width of `quality` (Infinity = nothing known). */
  halfWidth: Float64Array;
  /** Expected USD of the call. */
  cost: Float64Array;
  /**
   * 1 where query i may go to arm j, 0 where it may not (the arm is not offered, or the query's
   * own constraints exclude it). The one encoding of an unavailable arm: quality, half-width and
   * cost of an unavailable entry are never read.
   */
  available: Uint8Array;
}

export function emptyWindowEstimates(n: number, k: number): WindowEstimates {
  return {
    n,
    k,
    quality: new Float64Array(n * k),
    halfWidth: new Float64Array(n * k),
    cost: new Float64Array(n * k),
    available: new Uint8Array(n * k),
  };
}

/** The available arm of query i with the lowest expected cost (the first on ties); -1 if none. */
export function cheapestArm(e: Pick<WindowEstimates, 'k' | 'cost' | 'available'>, i: number): number {
  let arg = -1;
  for (let j = 0; j < e.k; j++) {
    const x = i * e.k + j;
    if (!e.available[x]) continue;
    if (arg < 0 || e.cost[x] < e.cost[i * e.k + arg]) arg = j;
  }
  return arg;
}

/** Expected cost of the window when every query takes its cheapest available arm. */
export function cheapestBill(e: WindowEstimates): number {
  let total = 0;
  for (let i = 0; i < e.n; i++) total += e.cost[i * e.k + cheapestArm(e, i)];
  return total;
}

/** Quality minus z half-widths: what a pessimistic planner counts on (z = 0: the mean). */
export function plannedScore(e: WindowEstimates, x: number, z: number): number {
  // 0 * Infinity would be NaN: a mean planner ignores the half-width altogether.
  return z === 0 ? e.quality[x] : e.quality[x] - z * e.halfWidth[x];
}
