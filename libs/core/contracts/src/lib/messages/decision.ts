import { z } from 'zod';
import { ModelId, Scope, Usd } from './common';
import { Usage } from './routed-response';

/** Topic routing.decisions, key = scope. The log that off-policy evaluation replays. */
export const DecisionEvent = z.object({
  decisionId: z.string().min(1),
  requestId: z.string().min(1),
  scope: Scope,
  policy: z.string().min(1),
  policyVersion: z.number().int().nonnegative(),
  arm: ModelId,
  /** Probability with which the policy chose this arm (for IPS/DR). */
  propensity: z.number().gt(0).max(1),
  scores: z.record(z.string(), z.number()),
  /** Sparse context: feature index -> value (hashed features are sparse). */
  features: z.record(z.string(), z.number()).optional(),
  /** Expected cost per arm at decision time, USD. */
  priceSnapshot: z.record(z.string(), Usd),
  lambda: z.number().finite().nonnegative(),
  /**
   * What the call that answered really cost (usage x price at call time, or the provider's
   * bill), USD; absent for a decision logged before its call returned. Pacing, the spend
   * ledger and budget ratios use it; `priceSnapshot[arm]` is what the decision expected.
   */
  realisedCostUsd: Usd.optional(),
  /** Tokens the answering call used. */
  usage: Usage.optional(),
  /** Set when the policy's choice failed and this arm answered instead: not the policy's own choice (OPE excludes it). */
  fallbackFrom: ModelId.optional(),
  mode: z.enum(['query', 'batch']).default('query'),
  batchId: z.string().optional(),
  ts: z.string().datetime({ offset: true }),
});
export type DecisionEvent = z.infer<typeof DecisionEvent>;
