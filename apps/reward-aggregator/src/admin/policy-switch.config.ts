import { z } from 'zod';
import { SWITCH_GATE_DEFAULTS } from '@llm-router/ope';

/** Variables of the gated policy switch (POST /admin/scopes/:scope/policy, docs/decisions/0016). */
export const policySwitchEnvShape = {
  /**
   * A candidate passes when its SNIPS and DR lower bounds are at least the current policy's
   * logged value minus this (reward units): equal-or-better passes, clearly worse does not.
   */
  POLICY_SWITCH_TOLERANCE: z.coerce.number().nonnegative().default(SWITCH_GATE_DEFAULTS.tolerance),
  /** Two-sided confidence level of those bounds. */
  POLICY_SWITCH_LEVEL: z.coerce.number().min(0.5).lt(1).default(SWITCH_GATE_DEFAULTS.level),
  /** Refused below this effective sample size: too few logged decisions agree with the candidate. */
  POLICY_SWITCH_MIN_ESS: z.coerce.number().nonnegative().default(SWITCH_GATE_DEFAULTS.minEffectiveSampleSize),
  /** The gate reads at most this many of the scope's most recent rewarded decisions. */
  POLICY_SWITCH_MAX_DECISIONS: z.coerce.number().int().min(10).default(SWITCH_GATE_DEFAULTS.maxDecisions),
};

export interface PolicySwitchConfig {
  POLICY_SWITCH_TOLERANCE: number;
  POLICY_SWITCH_LEVEL: number;
  POLICY_SWITCH_MIN_ESS: number;
  POLICY_SWITCH_MAX_DECISIONS: number;
  FEATURE_DIM: number;
  EMBEDDING_DIM: number;
  POLICY_SEED: number;
}
