/**
 * The usage and cost model. Cost = the caller's per-arm expectation (list price x mean usage,
 * so a price event acts on the next decision) redistributed over prompts by a learned,
 * price-free usage multiplier exp(r(x)): long or verbose prompts cost more. The multiplier is
 * divided by its traffic mean so that it never moves the per-arm level, which belongs to the
 * cost model (a price event or a cold arm's first calls would otherwise contaminate it).
 */

/** Costs of exactly 0 (self-hosted, free tiers) would send log(cost) to -Infinity. */
export const MIN_COST = 1e-12;
/** Memory, in learned decisions, of every traffic mean (usage multiplier, deviation, shared part). */
export const TRAFFIC_WINDOW = 200;
/** Bound on the log-usage offset: one odd prompt cannot price an arm out by more than e^5. */
const MAX_LOG_OFFSET = 5;

/** A mean over recent traffic: exact for the first TRAFFIC_WINDOW values, then exponential. */
export interface TrafficMean {
  mean: number;
  count: number;
}

/** The traffic mean after one more value, without storing it (decide previews what update will store). */
export function meanWith(t: TrafficMean, value: number): number {
  return t.mean + (value - t.mean) / Math.min(t.count + 1, TRAFFIC_WINDOW);
}

/** Folds one more value into t, in place. */
export function addValue(t: TrafficMean, value: number): void {
  t.mean = meanWith(t, value);
  t.count++;
}

/** Pools two replicas' traffic means, weighted by their counts. */
export function pooled(a: TrafficMean, b: TrafficMean): TrafficMean {
  const n = a.count + b.count;
  return { mean: n > 0 ? (a.mean * a.count + b.mean * b.count) / n : a.mean, count: Math.min(n, TRAFFIC_WINDOW) };
}

/** exp of the learned log-usage offset of a prompt, bounded. */
export function usageMultiplier(logOffset: number): number {
  return Math.exp(Math.min(MAX_LOG_OFFSET, Math.max(-MAX_LOG_OFFSET, logOffset)));
}

/** This prompt's expected cost, from the arm's expectation and the multiplier's traffic mean. */
export function promptCost(armExpectedCost: number, multiplier: number, multiplierMean: number): number {
  if (armExpectedCost <= 0) return 0;
  return multiplierMean > 0 ? (armExpectedCost * multiplier) / multiplierMean : armExpectedCost;
}

/** What the usage model learns from one outcome: log(realised / expected at decision). */
export function logUsageRatio(realisedCost: number, expectedCost: number): number {
  return Math.log(Math.max(MIN_COST, realisedCost) / expectedCost);
}
