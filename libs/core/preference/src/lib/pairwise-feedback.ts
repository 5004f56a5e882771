import type { ArmId, DecisionContext, Policy } from '@llm-router/bandits';

/** A policy that learns from "winner's answer beat loser's" (PreferenceRouter does). */
export interface PreferenceLearner {
  observePreference(ctx: DecisionContext, winner: ArmId, loser: ArmId, weight?: number): void;
}

export const learnsPreferences = (p: Policy): p is Policy & PreferenceLearner =>
  typeof (p as Partial<PreferenceLearner>).observePreference === 'function';

/**
 * Online update from one pairwise feedback, on any policy: a preference learner takes a
 * Bradley-Terry step; a policy that cannot use a comparison (a bandit on absolute rewards) or
 * a comparison of an arm with itself teaches nothing. Returns whether the policy learned.
 */
export function learnFromPreference(policy: Policy, ctx: DecisionContext, winner: ArmId, loser: ArmId): boolean {
  if (winner === loser || !learnsPreferences(policy)) return false;
  policy.observePreference(ctx, winner, loser);
  return true;
}
