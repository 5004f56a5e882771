import { z } from 'zod';
import { Id, Quality, Scope, Usd } from './common';

export const FeedbackSource = z.enum(['user', 'judge', 'heuristic', 'replay']);
export type FeedbackSource = z.infer<typeof FeedbackSource>;

/**
 * The most one evaluation (a judge's call) may cost, USD: a million tokens at $10 a million. The
 * aggregator files the cost as the scope's spend, so one feedback claiming $1e300 left the period's
 * spend ledger with nothing remaining; above this the record is refused (feedback.rewards.dlq).
 */
export const MAX_EVALUATION_COST_USD = 10;
const EvaluationCostUsd = Usd.max(
  MAX_EVALUATION_COST_USD,
  `an evaluation costing more than $${MAX_EVALUATION_COST_USD} is not believed`,
);

/** A quality score for one decision's answer: the reward's quality term. */
export const ScoreFeedback = z
  .object({
    /** Absent on messages written before pairwise feedback existed. */
    kind: z.literal('score').optional(),
    feedbackId: Id.optional(),
    decisionId: Id.optional(),
    requestId: Id.optional(),
    scope: Scope.optional(),
    quality: Quality,
    /**
     * A provider's bill for the call: it overrides the router's realised cost when at most 1000
     * times the call's realised or expected cost, and is set aside above that
     * (apps/reward-aggregator reward-cost.ts).
     */
    costUsd: Usd.optional(),
    source: FeedbackSource.default('user'),
    /** What producing this feedback cost (an LLM judge's call): kept in the ledger, not part of the reward. */
    evaluationCostUsd: EvaluationCostUsd.optional(),
    /**
     * Set only by the reward-aggregator when it re-publishes a held judge or heuristic score
     * after FEEDBACK_GRACE_S with no client feedback: the ledger then applies it at once. On
     * feedback that names no score the aggregator held, it is dropped and the feedback admitted
     * as fresh (docs/decisions/0054).
     */
    graceElapsed: z.literal(true).optional(),
    ts: z.string().datetime({ offset: true }),
  })
  .refine((f) => f.decisionId !== undefined || f.requestId !== undefined, {
    message: 'feedback needs a decisionId or a requestId',
    path: ['decisionId'],
  });
export type ScoreFeedback = z.infer<typeof ScoreFeedback>;

/** "The answer of decision winner was better than that of decision loser": fed to preference learners. */
export const PairwiseFeedback = z
  .object({
    kind: z.literal('pairwise'),
    feedbackId: Id.optional(),
    winnerDecisionId: Id,
    loserDecisionId: Id,
    scope: Scope.optional(),
    source: FeedbackSource.default('user'),
    ts: z.string().datetime({ offset: true }),
  })
  .refine((f) => f.winnerDecisionId !== f.loserDecisionId, {
    message: 'a decision cannot be preferred to itself',
    path: ['loserDecisionId'],
  });
export type PairwiseFeedback = z.infer<typeof PairwiseFeedback>;

/**
 * Topic feedback.rewards, key = scope. May arrive late, twice, or never. One flat object
 * (kind absent or 'score': a score; 'pairwise': a preference), checked per kind, so that its
 * JSON Schema stays one object and a missing field is named; typed as the union.
 */
export const FeedbackEvent = z
  .object({
    kind: z.enum(['score', 'pairwise']).optional(),
    feedbackId: Id.optional(),
    decisionId: Id.optional(),
    requestId: Id.optional(),
    winnerDecisionId: Id.optional(),
    loserDecisionId: Id.optional(),
    scope: Scope.optional(),
    quality: Quality.optional(),
    costUsd: Usd.optional(),
    source: FeedbackSource.default('user'),
    evaluationCostUsd: EvaluationCostUsd.optional(),
    graceElapsed: z.literal(true).optional(),
    ts: z.string().datetime({ offset: true }),
  })
  .superRefine((f, ctx) => {
    const schema = f.kind === 'pairwise' ? PairwiseFeedback : ScoreFeedback;
    const r = schema.safeParse(f);
    if (!r.success) for (const issue of r.error.issues) ctx.addIssue({ ...issue, code: 'custom' });
  })
  .transform((f) => f as ScoreFeedback | PairwiseFeedback);
export type FeedbackEvent = z.output<typeof FeedbackEvent>;

export const isPairwise = (f: FeedbackEvent): f is PairwiseFeedback => f.kind === 'pairwise';
