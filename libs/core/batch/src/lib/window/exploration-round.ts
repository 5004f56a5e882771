/** Size of the exploration sub-round that `auto` gives without the recent-residual correction. */
export const AUTO_EXPLORE = 3;

/**
 * Size that `auto` gives when the recent-residual correction is on: the residuals of a window's
 * own first calls then correct the plan of the rest of it, and on the warm by-difficulty order,
 * where the mix drifts from window to window, 3 calls were too few to move it
 * (docs/decisions/0031-batch-gains.md).
 */
export const CORRECTED_EXPLORE = 6;

/** A window's exploration sub-round: its size, or `auto` (AUTO_EXPLORE, CORRECTED_EXPLORE with the correction). */
export type ExploreSetting = number | 'auto';

/**
 * What the batch-planner app (BATCH_EXPLORE) and `replay --mode batch` (--explore) run unless
 * told otherwise: no sub-round. Live it cost quality and budget (docs/decisions/0039); in the
 * replay, once the replay learnt costs as the app does, it was behind on three of the four
 * orders over seeds 1-10 (docs/decisions/0041).
 */
export const DEFAULT_EXPLORE: ExploreSetting = 0;

/** Queries of a window's exploration sub-round under `explore` (default DEFAULT_EXPLORE). */
export function explorationSize(recentCorrection: boolean, explore: ExploreSetting = DEFAULT_EXPLORE): number {
  if (explore === 'auto') return recentCorrection ? CORRECTED_EXPLORE : AUTO_EXPLORE;
  return Math.max(0, Math.floor(explore));
}

/** Parses an exploration setting as the CLI and the environment give it: `auto` or an integer >= 0. */
export function parseExploreSetting(value: string): ExploreSetting {
  if (value === 'auto') return 'auto';
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0)
    throw new Error(`explore must be 'auto' or an integer >= 0, got '${value}'`);
  return n;
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
