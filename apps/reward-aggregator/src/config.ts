import { z } from 'zod';
import { DEFAULT_RETENTION_DAYS } from '@llm-router/contracts';
import {
  accessEnvShape,
  baseEnvSchema,
  budgetPerQueryEnv,
  loadConfig,
  pacerPaybackEnv,
  warmStartFileEnv,
  policyEnvShape,
  policyOptionsFromEnv,
  unsetIfEmpty,
} from '@llm-router/service';
import { policySwitchEnvShape } from './admin/policy-switch.config';

export const aggregatorEnvSchema = baseEnvSchema('reward-aggregator', 3003).extend({
  ...policyEnvShape,
  /** ADMIN_TOKEN guards the operator endpoints (/metrics, /stats...); ALLOW_NO_AUTH=true opens them (development). */
  ...accessEnvShape,
  /** Target mean cost per query in USD; when set, a primal-dual pacer moves lambda to hold it. */
  BUDGET_PER_QUERY_USD: budgetPerQueryEnv,
  /** A budget per period in USD for every scope: its share per query is published to the routers (docs/decisions/0013). */
  BUDGET_USD: unsetIfEmpty(z.coerce.number().positive()),
  BUDGET_PERIOD: z.enum(['day', 'month']).default('day'),
  /** Traffic assumed until an hour of the period has been seen, to spread BUDGET_USD. */
  EXPECTED_QUERIES_PER_DAY: z.coerce.number().positive().default(10000),
  /** The fleet pacer's payback horizon in queries (its lambda seeds new routers). */
  PACER_PAYBACK_QUERIES: pacerPaybackEnv,
  /** An offline reward file (the replay's JSONL) that primes each scope once, when it has no stored state. */
  WARM_START_FILE: warmStartFileEnv,
  /** Feedback whose decision has not arrived after this long is counted as expired and dropped. */
  FEEDBACK_TTL_S: z.coerce.number().int().positive().default(3600),
  /** Judge and heuristic scores wait this long after their decision for client feedback, which takes precedence. */
  FEEDBACK_GRACE_S: z.coerce.number().int().min(0).default(600),
  /** How often held scores past their grace are released. */
  FEEDBACK_RELEASE_INTERVAL_MS: z.coerce.number().int().min(100).default(5000),
  /** policy.updates are published at most this often per scope (the flush timer's period: 10 ms at least). */
  SNAPSHOT_DEBOUNCE_MS: z.coerce.number().int().min(10).default(200),
  /**
   * The policy's large state is written to policy_state at most this often per scope, or after
   * CHECKPOINT_EVERY_REWARDS rewards, whichever comes first; a restart replays the rewards
   * since (docs/decisions/0018). 0 writes it with every batch.
   */
  CHECKPOINT_EVERY_MS: z.coerce.number().int().min(0).default(5000),
  CHECKPOINT_EVERY_REWARDS: z.coerce.number().int().min(1).default(20000),
  AGGREGATOR_GROUP_ID: z.string().default('reward-aggregator'),
  /**
   * Data lifecycle (docs/decisions/0022-data-lifecycle.md): decisions, rewards, pending feedback,
   * router answers, batch bills and superseded prices older than this many days are pruned
   * (a decision is kept at least FEEDBACK_TTL_S plus an hour, whatever this says).
   */
  RETENTION_DAYS: z.coerce.number().positive().default(DEFAULT_RETENTION_DAYS),
  /** Seconds between two retention sweeps (one instance sweeps at a time). */
  RETENTION_SWEEP_S: z.coerce.number().int().positive().default(3600),
  /** Rows deleted per statement: a large backlog goes in many short transactions, never one long lock. */
  RETENTION_BATCH_ROWS: z.coerce.number().int().positive().default(1000),
  /**
   * Base URL of a price-watcher (e.g. http://price-watcher:3002). When set, GET /frontier
   * proxies its Pareto frontier for the dashboard; unset, the dashboard plots a frontier of
   * the observed per-arm means instead. An empty value means unset, as in a shell.
   */
  PRICE_WATCHER_URL: unsetIfEmpty(z.string().url()),
  ...policySwitchEnvShape,
  /**
   * Base URL of a router (e.g. http://router:3001): the dashboard's manual pulls and their
   * ratings go through its /v1 API, proxied so that the browser needs neither CORS nor a key.
   */
  ROUTER_URL: unsetIfEmpty(z.string().url()),
  /** The router API key those pulls are sent with (none when the router has ALLOW_NO_AUTH=true). */
  ROUTER_API_KEY: unsetIfEmpty(z.string().min(1)),
});

export type AggregatorConfig = z.infer<typeof aggregatorEnvSchema>;
export function loadAggregatorConfig(env = process.env): AggregatorConfig {
  const config = loadConfig('reward-aggregator', aggregatorEnvSchema, env);
  // The policies' options as a whole (conservative's baseline, a scope's options): checked
  // here, so that a bad combination stops the service before it is built.
  policyOptionsFromEnv(config, 'reward-aggregator');
  return config;
}
