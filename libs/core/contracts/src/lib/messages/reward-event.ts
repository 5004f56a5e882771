import { z } from 'zod';
import { ModelId, Quality, Scope, Usd } from './common';

export const ArmRunningStats = z.object({
  pulls: z.number().int().nonnegative(),
  meanReward: z.number(),
  meanQuality: z.number(),
  meanCost: z.number(),
});

/** Topic reward.stream, key = scope: one event per applied reward, for dashboards. */
export const RewardEvent = z.object({
  scope: Scope,
  decisionId: z.string().min(1),
  arm: ModelId,
  quality: Quality,
  costUsd: Usd,
  lambda: z.number().nonnegative(),
  reward: z.number(),
  rewardsApplied: z.number().int().nonnegative(),
  cumulativeReward: z.number(),
  cumulativeCostUsd: z.number().nonnegative(),
  rewardVariance: z.number().nonnegative(),
  arms: z.record(z.string(), ArmRunningStats),
  ts: z.string().datetime({ offset: true }),
});
export type RewardEvent = z.infer<typeof RewardEvent>;
