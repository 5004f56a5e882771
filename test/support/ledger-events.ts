import type { z } from 'zod';
import { DecisionEvent, type FeedbackSource, type ScoreFeedback } from '@llm-router/contracts';

/**
 * A minimal decision of a two-model thompson scope as the router logs it, for specs that feed the
 * reward aggregator directly: arm `a` or `b` at propensity 0.5, or `a` alone at propensity 1.
 */
export function decisionEvent(
  scope: string,
  decisionId: string,
  arm: 'a' | 'b' = 'a',
  opts: { twoArms?: boolean; ts?: string } = {},
): z.input<typeof DecisionEvent> {
  const twoArms = opts.twoArms ?? true;
  return {
    decisionId,
    requestId: `r-${decisionId}`,
    scope,
    policy: 'thompson',
    policyVersion: 0,
    arm,
    propensity: twoArms ? 0.5 : 1,
    scores: {},
    priceSnapshot: twoArms ? { a: 0.001, b: 0.002 } : { a: 0.001 },
    lambda: 1,
    ts: opts.ts ?? new Date().toISOString(),
  };
}

/** Feedback on `decisionId`, from a user unless `opts.source` says otherwise. */
export function feedbackEvent(
  scope: string,
  decisionId: string,
  quality: number,
  opts: { ts?: string; source?: FeedbackSource } = {},
): ScoreFeedback & { scope: string } {
  return { decisionId, scope, quality, source: opts.source ?? 'user', ts: opts.ts ?? new Date().toISOString() };
}

/** A Kafka message of `event`, keyed by its scope as every producer of the project keys them. */
export function keyed(event: { scope: string }): { key: string; value: string } {
  return { key: event.scope, value: JSON.stringify(event) };
}
