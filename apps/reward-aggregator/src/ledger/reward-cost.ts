import type { DecisionEvent } from '@llm-router/contracts';

/**
 * A claimed cost this many times the decision's expected one is not believed: a client's typo
 * (cents for dollars is 100x) is still taken, a cost of 1e300 is not.
 */
export const MAX_CLAIMED_COST_FACTOR = 1000;

/** The cost a reward is charged: what the call cost, and whether a client's claim was set aside. */
export interface RewardCost {
  costUsd: number;
  /** The feedback named a cost that was not used: the router's realised cost won, or the claim was implausible. */
  claimIgnored: boolean;
}

/**
 * The router's realised cost of the call when the decision carries it (it paid the bill;
 * pacing and the spend ledger use the same figure), else the feedback's claimed cost when it is
 * at most MAX_CLAIMED_COST_FACTOR times the expected one, else the expected cost. A client's
 * `costUsd` used to win over the realised cost: one feedback claiming $1e300 made the reward
 * -1e300 and taught the policy that its model costs that much, for good.
 */
export function rewardCost(
  d: Pick<DecisionEvent, 'arm' | 'priceSnapshot' | 'realisedCostUsd'>,
  claimed?: number,
): RewardCost {
  const expected = d.priceSnapshot[d.arm] ?? 0;
  if (d.realisedCostUsd !== undefined)
    return { costUsd: d.realisedCostUsd, claimIgnored: claimed !== undefined && claimed !== d.realisedCostUsd };
  if (claimed === undefined) return { costUsd: expected, claimIgnored: false };
  if (claimed <= MAX_CLAIMED_COST_FACTOR * expected) return { costUsd: claimed, claimIgnored: false };
  return { costUsd: expected, claimIgnored: true };
}
