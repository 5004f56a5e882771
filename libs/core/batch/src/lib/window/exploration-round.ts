import type { ArmId, DecisionContext, Policy } from '@llm-router/bandits';

/** Size of the exploration sub-round that `auto` gives without the recent-residual correction. */
export const AUTO_EXPLORE = 3;

/**
 * Size that `auto` gives when the recent-residual correction is on: the residuals of a window's
 * own first calls then correct the plan of the rest of it, and on the warm by-difficulty order,
 * where the mix drifts from window to window, 3 calls were too few to move it
 * (docs/decisions/0031-batch-gains.md).
 */
export const CORRECTED_EXPLORE = 6;

/**
 * A window's exploration sub-round: its size; `auto` (AUTO_EXPLORE, CORRECTED_EXPLORE with the
 * correction) in every window; or `unknown`: the `auto` size in a window whose first query offers
 * a model the policy knows nothing of (an estimate without bounds: neither a pull nor a prior),
 * none otherwise.
 */
export type ExploreSetting = number | 'auto' | 'unknown';

/**
 * What the batch-planner app (BATCH_EXPLORE) and `replay --mode batch` (--explore) run unless
 * told otherwise: a sub-round only while a model is unknown to the policy. A sub-round in every
 * window cost quality and budget live (docs/decisions/0039) and was behind in the replay on three
 * of the four orders over seeds 1-10 (0041). None at all left the policies whose estimate of a
 * model never pulled is a placeholder (ucb1, epsilon-greedy, linucb, lints: a fixed mean, no
 * bounds) planning on that placeholder, which the cheapest model's learnt quality passes, so they
 * never pulled another model: every query went to the cheapest and 13% of the budget was spent
 * (docs/decisions/0045). auto's prior bounds every model, so auto runs as before.
 */
export const DEFAULT_EXPLORE: ExploreSetting = 'unknown';

/**
 * Queries of a window's exploration sub-round under `explore` (default DEFAULT_EXPLORE);
 * `offersUnknownModel`: whether the window's first query offers a model unknown to the policy
 * (`unknownToPolicy`), asked only under `unknown`.
 */
export function explorationSize(
  recentCorrection: boolean,
  explore: ExploreSetting = DEFAULT_EXPLORE,
  offersUnknownModel: () => boolean = () => false,
): number {
  if (explore === 'unknown') return offersUnknownModel() ? explorationSize(recentCorrection, 'auto') : 0;
  if (explore === 'auto') return recentCorrection ? CORRECTED_EXPLORE : AUTO_EXPLORE;
  return Math.max(0, Math.floor(explore));
}

/**
 * Whether a policy knows nothing of a model, from its estimate: no bounds (neither a pull nor a
 * prior). Planned on such an estimate's mean, a placeholder, the model is never called.
 */
export function unknownToPolicy(estimate: { halfWidth: number }): boolean {
  return !Number.isFinite(estimate.halfWidth);
}

/** Whether any of `models` is unknown to the policy (`unknownToPolicy`), as it estimates them for `ctx`. */
export function anyUnknownToPolicy(
  policy: Pick<Policy, 'estimate'>,
  ctx: DecisionContext,
  models: readonly ArmId[],
): boolean {
  return models.some((m) => unknownToPolicy(policy.estimate(ctx, m)));
}

/** Indices of the `models` the policy has never pulled, as it estimates them for `ctx` (WindowInput.exploration). */
export function neverPulledModels(
  policy: Pick<Policy, 'estimate'>,
  ctx: DecisionContext,
  models: readonly ArmId[],
): number[] {
  return models.flatMap((m, j) => (policy.estimate(ctx, m).n > 0 ? [] : [j]));
}

/** Parses an exploration setting as the CLI and the environment give it: `auto`, `unknown` or an integer >= 0. */
export function parseExploreSetting(value: string): ExploreSetting {
  if (value === 'auto' || value === 'unknown') return value;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0)
    throw new Error(`explore must be 'auto', 'unknown' or an integer >= 0, got '${value}'`);
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
