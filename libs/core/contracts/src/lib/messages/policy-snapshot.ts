import { z } from 'zod';
import { Scope } from './common';

/** Topic policy.updates, key = scope, compacted: replicas converge to the latest version. */
export const PolicySnapshot = z.object({
  scope: Scope,
  version: z.number().int().nonnegative(),
  algorithm: z.string().min(1),
  /** The policy's own serialised state (sufficient statistics per arm). */
  state: z.unknown(),
  lambda: z.number().finite().nonnegative(),
  pacer: z.unknown().optional(),
  /**
   * The per-query budget routers pace against, from the fleet's spend ledger (a daily or
   * monthly budget's share of what is left); absent when only BUDGET_PER_QUERY_USD binds.
   */
  budgetPerQueryUsd: z.number().positive().finite().optional(),
  rewardsApplied: z.number().int().nonnegative(),
  /**
   * Decisions of the scope the aggregator has recorded since it started (every router's): a
   * router compares it with its own count to know its share of the scope's traffic.
   */
  decisionsRecorded: z.number().int().nonnegative().optional(),
  ts: z.string().datetime({ offset: true }),
});
export type PolicySnapshot = z.infer<typeof PolicySnapshot>;
