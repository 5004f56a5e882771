import { z } from 'zod';
import { Id, Quality, Scope, Usd } from './common';

/** Topic feedback.rewards, key = scope. May arrive late, twice, or never. */
export const FeedbackEvent = z
  .object({
    feedbackId: Id.optional(),
    decisionId: Id.optional(),
    requestId: Id.optional(),
    scope: Scope.optional(),
    quality: Quality,
    /** Realised cost when known (else the decision's price snapshot is used). */
    costUsd: Usd.optional(),
    source: z.enum(['user', 'judge', 'heuristic', 'replay']).default('user'),
    ts: z.string().datetime({ offset: true }),
  })
  .refine((f) => f.decisionId !== undefined || f.requestId !== undefined, {
    message: 'feedback needs a decisionId or a requestId',
    path: ['decisionId'],
  });
export type FeedbackEvent = z.infer<typeof FeedbackEvent>;
