/** Default size of the exploration sub-round at the head of each window. */
export const DEFAULT_EXPLORE = 3;

/**
 * Default size of the exploration sub-round when the recent-residual correction is on: the
 * residuals of a window's own first calls then correct the plan of the rest of it, and on the
 * warm by-difficulty order, where the mix drifts from window to window, 3 calls were too few to
 * move it (docs/decisions/0031-batch-gains.md).
 */
export const CORRECTED_EXPLORE = 6;

/** Queries of a window's exploration sub-round: `explore` when given, else the default for the correction in use. */
export function explorationSize(recentCorrection: boolean, explore?: number): number {
  const fallback = recentCorrection ? CORRECTED_EXPLORE : DEFAULT_EXPLORE;
  return Math.max(0, Math.floor(explore ?? fallback));
}

/**
 * How many of a window's `windowQueries` form its exploration sub-round: they are planned first,
 * on optimistic estimates, dispatched and learnt from before the rest of the window is planned.
 * 0 (no sub-round) unless the rest is larger than the sub-round itself: a small window, such as
 * the period's tail, is planned whole.
 */
export function explorationHead(windowQueries: number, explore: number): number {
  return explore > 0 && windowQueries > 2 * explore ? explore : 0;
}
