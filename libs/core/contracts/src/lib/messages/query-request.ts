import { z } from 'zod';
import { Id, DEFAULT_SCOPE, ModelId, Quality, Scope, Usd } from './common';

export const ChatMessage = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string(),
});

export const QueryConstraints = z.object({
  maxCostUsd: Usd.optional(),
  minQuality: Quality.optional(),
  latencySloMs: z.number().int().positive().optional(),
  mode: z.enum(['query', 'batch']).default('query'),
  /** Batch mode: the answer is needed by then (ISO time). */
  deadline: z.string().datetime({ offset: true }).optional(),
  /** The caller names a model: routing is bypassed but still logged. */
  model: ModelId.optional(),
});

/** Topic llm.queries, key = id. */
export const QueryRequest = z.object({
  id: Id.max(200),
  scope: Scope.default(DEFAULT_SCOPE),
  messages: z.array(ChatMessage).min(1),
  /** Optional caller-provided features (e.g. an embedding) appended to ours. */
  features: z.array(z.number().finite()).optional(),
  constraints: QueryConstraints.default({ mode: 'query' }),
  /** Topic the answer goes to; llm.responses when absent. */
  replyTo: z.string().min(1).optional(),
  /** Replay provider: the dataset row that answers this query. */
  datasetRow: z.number().int().nonnegative().optional(),
  /** Set by the batch planner on a query it dispatches, so the router's decision names its window. */
  batchId: Id.optional(),
  ts: z.string().datetime({ offset: true }).optional(),
});
export type QueryRequest = z.infer<typeof QueryRequest>;
export type QueryRequestInput = z.input<typeof QueryRequest>;
export type ChatMessage = z.infer<typeof ChatMessage>;
export type QueryConstraints = z.infer<typeof QueryConstraints>;
