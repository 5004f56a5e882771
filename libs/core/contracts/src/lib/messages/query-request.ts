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
  id: Id,
  scope: Scope.default(DEFAULT_SCOPE),
  messages: z.array(ChatMessage).min(1),
  /**
   * The caller's own embedding of the prompt (or any signal): exactly EMBEDDING_DIM numbers,
   * which fill the embedding block after the router's hashed features in place of its
   * embeddings provider; refused (llm.queries.dlq) by a router with another EMBEDDING_DIM or
   * none. apps/router/README.md, "Embedding features".
   */
  features: z
    .array(z.number().finite())
    .optional()
    .describe(
      "Caller's embedding of the prompt: exactly EMBEDDING_DIM numbers, used as the routing features' embedding block instead of the router's embeddings provider; any other length is refused",
    ),
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
