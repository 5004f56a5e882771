/** Realised and expected cost of a model's calls over some recent span. */
export interface BillTotals {
  realisedUsd: number;
  expectedUsd: number;
  calls: number;
}

/** Weight, in calls, of the assumption that a model costs what was expected of it. */
export const COST_LEVEL_PRIOR_CALLS = 10;

/**
 * By how much a model's expected costs should be scaled: realised over expected on its billed
 * calls, shrunk towards 1 by `priorCalls` calls' worth of "it costs what was expected". A plan
 * that commits many calls at once (a batch window) uses it where per-query routing would learn
 * from the first bill: a model nobody has called is priced at the others' usage, and a
 * reasoning model uses tens of times more tokens. 1 when there is nothing to go on.
 */
export function costLevel(b: BillTotals, priorCalls = COST_LEVEL_PRIOR_CALLS): number {
  if (!(b.calls > 0) || !(b.expectedUsd > 0) || !(b.realisedUsd >= 0)) return 1;
  const prior = (priorCalls * b.expectedUsd) / b.calls;
  return (b.realisedUsd + prior) / (b.expectedUsd + prior);
}
