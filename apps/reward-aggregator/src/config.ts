import { z } from 'zod';
import { accessEnvShape, baseEnvSchema, loadConfig, policyEnvShape } from '@llm-router/service';

export const aggregatorEnvSchema = baseEnvSchema('reward-aggregator', 3003).extend({
  ...policyEnvShape,
  /** ADMIN_TOKEN guards the operator endpoints (/metrics, /stats...); ALLOW_NO_AUTH=true opens them (development). */
  ...accessEnvShape,
  /** Target mean cost per query in USD; when set, a primal-dual pacer moves lambda to hold it. */
  BUDGET_PER_QUERY_USD: z.coerce.number().positive().optional(),
  /** Feedback whose decision has not arrived after this long is counted as expired and dropped. */
  FEEDBACK_TTL_S: z.coerce.number().int().positive().default(3600),
  /** policy.updates are published at most this often per scope (the flush timer's period: 10 ms at least). */
  SNAPSHOT_DEBOUNCE_MS: z.coerce.number().int().min(10).default(200),
  AGGREGATOR_GROUP_ID: z.string().default('reward-aggregator'),
  /**
   * Base URL of a price-watcher (e.g. http://price-watcher:3002). When set, GET /frontier
   * proxies its Pareto frontier for the dashboard; unset, the dashboard plots a frontier of
   * the observed per-arm means instead. An empty value means unset, as in a shell.
   */
  PRICE_WATCHER_URL: z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional()),
});

export type AggregatorConfig = z.infer<typeof aggregatorEnvSchema>;
export const loadAggregatorConfig = (env = process.env) => loadConfig('reward-aggregator', aggregatorEnvSchema, env);
