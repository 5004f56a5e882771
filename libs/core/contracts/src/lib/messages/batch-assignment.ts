import { z } from 'zod';
import { ModelId, Scope } from './common';

/** Topic batch.assignments, key = batch id. */
export const BatchAssignmentEvent = z.object({
  batchId: z.string().min(1),
  scope: Scope,
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
