import { registerPolicy } from '@llm-router/bandits';
import type { PolicyOptions } from '@llm-router/bandits';
import type { FitOptions } from './bradley-terry';
import type { PairsOptions, RewardRow } from './pairs';
import { PreferenceRouter, PreferenceRouterOptions } from './preference-router';

/**
 * Options createPolicy('preference', ...) understands: everything in PreferenceRouterOptions
 * (d, seed, arms, epsilon, gamma, priors, coldPulls, lr, ...) plus an optional offline warm
 * start: `warmStart` rows (full-information rewards on features of dimension d) are fitted
 * before the policy is returned, with `fit` options.
 */
export interface PreferencePolicyOptions extends PolicyOptions, PreferenceRouterOptions {
  warmStart?: readonly RewardRow[];
  fit?: FitOptions & PairsOptions;
}

export function preferencePolicyFactory(options: PolicyOptions = {}): PreferenceRouter {
  const { warmStart, fit, ...rest } = options as PreferencePolicyOptions;
  const router = new PreferenceRouter(rest);
  if (warmStart && warmStart.length > 0) router.fit(warmStart, { seed: rest.seed, ...fit });
  return router;
}

/** Makes 'preference' known to createPolicy / policyFromState. Idempotent. */
export function registerPreference(): void {
  registerPolicy('preference', preferencePolicyFactory, PreferenceRouter.fromState);
}

// Importing @llm-router/preference is enough to make the policy available by name, as the
// bandits library does for its own policies.
registerPreference();
