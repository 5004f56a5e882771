import { z } from 'zod';
import { Id, ModelId, Scope, Usd } from './common';
import { Usage } from './routed-response';

/** A sparse vector: the indices of its non-zero entries and their values, same length. */
export const SparseFeatureVector = z
  .object({
    indices: z.array(z.number().int().nonnegative()),
    values: z.array(z.number().finite()),
  })
  .refine((v) => v.indices.length === v.values.length, 'indices and values must have the same length');
export type SparseFeatureVector = z.infer<typeof SparseFeatureVector>;

/** Topic routing.decisions, key = scope. The log that off-policy evaluation replays. */
export const DecisionEvent = z.object({
  decisionId: Id,
  requestId: Id,
  scope: Scope,
  policy: z.string().min(1),
  policyVersion: z.number().int().nonnegative(),
  arm: ModelId,
  /** Probability with which the policy chose this arm (for IPS/DR). */
  propensity: z.number().gt(0).max(1),
  scores: z.record(z.string(), z.number()),
  /** Sparse context: feature index -> value (hashed features are sparse). */
  features: z.record(z.string(), z.number()).optional(),
  /**
   * Features the policy derived from the prompt text itself (auto: log length and template
   * hashes), in the policy's own coordinates. With `features` and `priceSnapshot` it is
   * everything the decision used, so the learner, which never sees the text, learns from
   * exactly that (docs/decisions/0011-one-learning-loop.md). Absent for policies that only
   * read `features`.
   */
  textFeatures: SparseFeatureVector.optional(),
  /** Expected cost per arm at decision time, USD: the costs the policy scored the arms with. */
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
