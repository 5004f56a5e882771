import { z } from 'zod';
import { ModelId, Usd } from './common';

export const Usage = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
});

/** Topic llm.responses (or the query's replyTo), key = request id. */
export const RoutedResponse = z.object({
  id: z.string().min(1),
  decisionId: z.string().min(1),
  scope: z.string().min(1),
  model: ModelId,
  output: z.string(),
  usage: Usage.optional(),
  costUsd: Usd,
  latencyMs: z.number().nonnegative(),
  error: z.string().optional(),
  ts: z.string().datetime({ offset: true }),
});
export type RoutedResponse = z.infer<typeof RoutedResponse>;
export type Usage = z.infer<typeof Usage>;
