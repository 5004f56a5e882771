import { existsSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_SEND_RETRIES, DEFAULT_SEND_TIMEOUT_MS } from '@llm-router/kafka';
import { baseEnvSchema, loadConfig, policyEnvShape } from '@llm-router/service';

export const routerEnvSchema = baseEnvSchema('router', 3001)
  .extend({
    ...policyEnvShape,
    PROVIDER: z.enum(['replay', 'openai']).default('replay'),
    /** Replay provider: the reward dataset that answers queries. */
    REPLAY_DATASET: z.string().optional(),
    OPENAI_BASE_URL: z.string().url().optional(),
    OPENAI_API_KEY: z.string().optional(),
    PROVIDER_TIMEOUT_MS: z.coerce.number().int().positive().default(30000),
    PROVIDER_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
    /** Consumer group shared by router replicas for llm.queries. */
    QUERIES_GROUP_ID: z.string().default('router'),
    // Consumption of llm.queries, producing and shutdown (apps/router/README.md, docs/decisions/0009).
    /** Partitions of llm.queries whose batches are handled at the same time. */
    ROUTER_PARTITIONS_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(6),
    /** Queries being routed (model calls) at once, over all partitions. */
    ROUTER_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(10000).default(256),
    /** A query without constraints.deadline gets an error answer this long after it is consumed. */
    ROUTER_QUERY_DEADLINE_MS: z.coerce.number().int().positive().default(60000),
    /** Kafka session timeout of the llm.queries consumer (heartbeats keep going during model calls). */
    ROUTER_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).default(30000),
    ROUTER_HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).default(3000),
    /** A replyTo topic is used only if it matches this and exists; otherwise the answer goes to llm.responses. */
    REPLY_TOPIC_PATTERN: z
      .string()
      .default('^replies\\.[A-Za-z0-9._-]+$')
      .transform((s, ctx) => {
        try {
          return new RegExp(s);
        } catch (e) {
          ctx.addIssue({ code: 'custom', message: `is not a regular expression: ${(e as Error).message}` });
          return z.NEVER;
        }
      }),
    /** Every Kafka send is acknowledged or fails within this. */
    KAFKA_SEND_TIMEOUT_MS: z.coerce.number().int().min(100).default(DEFAULT_SEND_TIMEOUT_MS),
    KAFKA_SEND_RETRIES: z.coerce.number().int().min(0).max(20).default(DEFAULT_SEND_RETRIES),
    /** After SIGTERM/SIGINT the process exits within this even if Kafka or PostgreSQL hangs. */
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10000),
    // Budget pacing of this router's own decisions (docs/decisions/0013-pacing-in-the-loop.md).
    /** Target mean cost per query in USD: each router paces its own decisions against it; unset = no pacing. */
    BUDGET_PER_QUERY_USD: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().positive().optional()),
    /** A router's overspend (or underspend) is paid back over this many of its next queries. */
    PACER_PAYBACK_QUERIES: z.coerce.number().int().min(10).default(200),
    /** An offline reward file (JSONL, the replay's format) that primes new scopes, as replay --warm-start does. */
    WARM_START_FILE: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional()),
  })
  .superRefine((c, ctx) => {
    if (c.WARM_START_FILE && !existsSync(c.WARM_START_FILE))
      ctx.addIssue({ code: 'custom', path: ['WARM_START_FILE'], message: 'file not found' });
    if (c.PROVIDER === 'replay' && !c.REPLAY_DATASET)
      ctx.addIssue({ code: 'custom', path: ['REPLAY_DATASET'], message: 'is required when PROVIDER=replay' });
    if (c.PROVIDER === 'openai' && !c.OPENAI_BASE_URL)
      ctx.addIssue({ code: 'custom', path: ['OPENAI_BASE_URL'], message: 'is required when PROVIDER=openai' });
  });

export type RouterConfig = z.infer<typeof routerEnvSchema>;
export const loadRouterConfig = (env = process.env) => loadConfig('router', routerEnvSchema, env);
