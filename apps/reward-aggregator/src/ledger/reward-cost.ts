import type { DecisionEvent } from '@llm-router/contracts';

/**
 * A bill this many times what the call was expected or measured to cost is not believed: a
 * provider's correction, or a client's typo of cents for dollars (100x), is still taken; a cost
 * of 1e300 is not.
 */
export const MAX_CLAIMED_COST_FACTOR = 1000;

/** The cost a reward is charged, and whether the feedback's bill was set aside. */
export interface RewardCost {
  costUsd: number;
  /** The feedback named a cost above MAX_CLAIMED_COST_FACTOR times the call's own: not charged. */
  claimIgnored: boolean;
}

/**
 * A provider's bill sent with the feedback (`costUsd`) overrides what the router measured
 * (docs/decisions/0035), as long as it is at most MAX_CLAIMED_COST_FACTOR times the larger of
 * the decision's realised and expected cost; otherwise, and without a bill, the reward is charged
 * the realised cost, else the expected one. Unbounded, one feedback claiming $1e300 made the
 * reward -1e300 in the ledger and the reward stream, and moved the policy's usage model.
 */
export function rewardCost(
  d: Pick<DecisionEvent, 'arm' | 'priceSnapshot' | 'realisedCostUsd'>,
  claimed?: number,
): RewardCost {
  const expected = d.priceSnapshot[d.arm] ?? 0;
  const own = d.realisedCostUsd ?? expected;
  if (claimed === undefined) return { costUsd: own, claimIgnored: false };
  if (claimed <= MAX_CLAIMED_COST_FACTOR * Math.max(own, expected)) return { costUsd: claimed, claimIgnored: false };
  return { costUsd: own, claimIgnored: true };
}
