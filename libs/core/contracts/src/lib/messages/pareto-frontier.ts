import { z } from 'zod';
import { ModelId, Scope } from './common';

export const FrontierPoint = z.object({ model: ModelId, quality: z.number(), costUsd: z.number().nonnegative() });

/** Topic pareto.frontier, key = scope, compacted. */
export const ParetoFrontierEvent = z.object({
  scope: Scope,
  frontier: z.array(FrontierPoint),
  dominated: z.array(FrontierPoint),
  reason: z.string(),
  ts: z.string().datetime({ offset: true }),
});
export type ParetoFrontierEvent = z.infer<typeof ParetoFrontierEvent>;
export type FrontierPoint = z.infer<typeof FrontierPoint>;
