import { z } from 'zod';
import { ModelId, Scope } from './common';

/**
 * A round of a window: the whole `window`, its `exploration` sub-round or `probe` of new kinds of
 * prompt (planned, sent and learnt from first), the probe's second stage (`top-up`: a model the
 * probe called once, called again once its bill is in, sent and learnt from next), or the `rest`
 * planned after them.
 */
export const BatchRound = z.enum(['window', 'exploration', 'probe', 'top-up', 'rest']);
export type BatchRound = z.infer<typeof BatchRound>;

/** Topic batch.assignments, key = batch id. */
export const BatchAssignmentEvent = z.object({
  batchId: z.string().min(1),
  scope: Scope,
  /**
   * The window this round belongs to: `seq`, the planner instance's count of the windows it has
   * planned (1 = its first; each instance counts its own), and which `round` of it this is.
   */
  window: z.object({ seq: z.number().int().positive(), round: BatchRound }).optional(),
  /** A window sent in parts (its bills awaited between them) publishes one event per part. */
  part: z.object({ index: z.number().int().nonnegative(), of: z.number().int().positive() }).optional(),
  assignments: z.array(z.object({ requestId: z.string(), model: ModelId, decisionId: z.string() })),
  objective: z.number(),
  bound: z.number().nullable(),
  solver: z.string(),
  solveMs: z.number().nonnegative(),
  budgetUsd: z.number().nonnegative().nullable(),
  warnings: z.array(z.string()).default([]),
  ts: z.string().datetime({ offset: true }),
});
export type BatchAssignmentEvent = z.infer<typeof BatchAssignmentEvent>;
