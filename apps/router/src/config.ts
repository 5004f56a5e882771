import { existsSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_SEND_RETRIES, DEFAULT_SEND_TIMEOUT_MS } from '@llm-router/kafka';
import { readEmbeddingsEntry } from '@llm-router/providers';
import {
  accessEnvShape,
  baseEnvSchema,
  budgetPerQueryEnv,
  ConfigError,
  loadConfig,
  pacerPaybackEnv,
  parsedBy,
  warmStartFileEnv,
  policyEnvShape,
  unsetIfEmpty,
} from '@llm-router/service';
import { routerApiKeysEnv, scopeBudgetsEnv } from './auth/api-keys';

/** A pattern of the environment as a RegExp; one that does not compile says why. */
function regularExpression(s: string): RegExp {
  try {
    return new RegExp(s);
  } catch (e) {
    throw new Error(`is not a regular expression: ${(e as Error).message}`);
  }
}

export const routerEnvSchema = baseEnvSchema('router', 3001)
  .extend({
    ...policyEnvShape,
    PROVIDER: z.enum(['replay', 'openai']).default('replay'),
    /** Replay provider: the reward dataset that answers queries. */
    REPLAY_DATASET: z.string().optional(),
    /**
     * Replay provider: the models file the dataset's costs were billed at (its list prices). With it
     * a replayed call costs the dataset's figure rescaled to the price in force, so price events
     * reach the bills; without it every call costs the dataset's figure.
     */
    REPLAY_PRICES_FILE: z.string().optional(),
    OPENAI_BASE_URL: z.string().url().optional(),
    OPENAI_API_KEY: z.string().optional(),
    PROVIDER_TIMEOUT_MS: z.coerce.number().int().positive().default(30000),
    PROVIDER_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
    // Per-model provider health (apps/router/README.md, "Providers").
    /** Consecutive failed calls that open a model's circuit. */
    PROVIDER_BREAKER_FAILURES: z.coerce.number().int().min(1).default(5),
    /** An open circuit gets one probe call after this long. */
    PROVIDER_BREAKER_COOLDOWN_MS: z.coerce.number().int().min(0).default(30000),
    /** A call to a model at its concurrency waits this long at most (unless its models-file entry says otherwise). */
    PROVIDER_QUEUE_TIMEOUT_MS: z.coerce.number().int().min(0).default(2000),
    /** Consumer group shared by router replicas for llm.queries. */
    QUERIES_GROUP_ID: z.string().default('router'),
    // Consumption of llm.queries, producing and shutdown (apps/router/README.md, docs/decisions/0009).
    /** Partitions of llm.queries whose batches are handled at the same time. */
    ROUTER_PARTITIONS_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(6),
    /**
     * Bytes one fetch of llm.queries may bring, in all and per partition. kafkajs decodes a
     * fetch response in one synchronous step: with its defaults (10 MiB, 1 MiB per partition) a
     * backlog held the router's event loop for up to 160 ms per fetch.
     */
    ROUTER_FETCH_MAX_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
    ROUTER_FETCH_MAX_BYTES_PER_PARTITION: z.coerce.number().int().min(1024).default(262_144),
    /** Queries being routed (model calls) at once, over all partitions. */
    ROUTER_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(10000).default(256),
    /** A query without constraints.deadline gets an error answer this long after it is consumed. */
    ROUTER_QUERY_DEADLINE_MS: z.coerce.number().int().positive().default(60000),
    /** Kafka session timeout of the llm.queries consumer (heartbeats keep going during model calls). */
    // Short: heartbeats continue during model calls, so only a dead router misses them, and
    // its partitions wait this long for a new owner (the chaos run measured 33-37 s at 30 s).
    ROUTER_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).default(10000),
    ROUTER_HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).default(1000),
    /** A replyTo topic is used only if it matches this and exists; otherwise the answer goes to llm.responses. */
    REPLY_TOPIC_PATTERN: z.string().default('^replies\\.[A-Za-z0-9._-]+$').transform(parsedBy(regularExpression)),
    /** Every Kafka send is acknowledged or fails within this. */
    KAFKA_SEND_TIMEOUT_MS: z.coerce.number().int().min(100).default(DEFAULT_SEND_TIMEOUT_MS),
    KAFKA_SEND_RETRIES: z.coerce.number().int().min(0).max(20).default(DEFAULT_SEND_RETRIES),
    /** After SIGTERM/SIGINT the process exits within this even if Kafka or PostgreSQL hangs. */
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10000),
    // Budget pacing of this router's own decisions (docs/decisions/0013-pacing-in-the-loop.md).
    // Feedback the router gives itself (apps/router/README.md, "Feedback sources").
    /** Publish a heuristic score for empty, refused and truncated answers. */
    HEURISTIC_FEEDBACK: z
      .enum(['true', 'false'])
      .default('true')
      .transform((v) => v === 'true'),
    /** A model of the catalog that judges a sample of answers; unset = no judge. */
    JUDGE_MODEL: unsetIfEmpty(z.string().min(1)),
    /** Share of answers the judge scores. */
    JUDGE_SAMPLE: z.coerce.number().min(0).max(1).default(0.05),
    /** The judge's prompt template ({{prompt}}, {{answer}}); read at start when JUDGE_MODEL is set. */
    JUDGE_PROMPT_FILE: z.string().default('prompts/judge.md'),
    /** Target mean cost per query in USD: each router paces its own decisions against it; unset = no pacing. */
    BUDGET_PER_QUERY_USD: budgetPerQueryEnv,
    /** An overspend (or underspend) is paid back over this many of the fleet's next queries (each router over its share). */
    PACER_PAYBACK_QUERIES: pacerPaybackEnv,
    /** An offline reward file (JSONL, the replay's format) that primes new scopes, as replay --warm-start does. */
    WARM_START_FILE: warmStartFileEnv,
    /** Keep each query's messages in PostgreSQL (stored_prompts, pruned after RETENTION_DAYS); off by default. */
    STORE_PROMPTS: accessEnvShape.ALLOW_NO_AUTH,
    /**
     * A models file (JSON or YAML) whose top-level `embeddings` entry configures the embeddings
     * provider (docs/decisions/0024-embedding-features.md); read once at start. Unset: no provider.
     */
    MODELS_FILE: unsetIfEmpty(z.string()),
    // --- access control, limits and budget caps (apps/router/README.md, "Security") ---
    /** ADMIN_TOKEN: the key admin API and the operator endpoints; ALLOW_NO_AUTH=true: no keys (development). */
    ...accessEnvShape,
    /** API keys from the configuration (hashed at start); keys in the api_keys table are accepted too. */
    ROUTER_API_KEYS: routerApiKeysEnv,
    /** Start with no key in ROUTER_API_KEYS: every key is in the api_keys table. */
    API_KEYS_FROM_DATABASE_ONLY: accessEnvShape.ALLOW_NO_AUTH,
    /** A key looked up in the database is trusted this long: revoking a key takes effect within it. */
    API_KEY_CACHE_S: z.coerce.number().int().min(0).default(10),
    MAX_BODY_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    MAX_PROMPT_CHARS: z.coerce.number().int().positive().default(200_000),
    /** Output tokens reserved against the budget caps when a request gives no max_tokens. */
    DEFAULT_MAX_TOKENS: z.coerce.number().int().positive().default(4096),
    SCOPE_BUDGETS: scopeBudgetsEnv,
    /** A reservation not settled after this long (its router died) is released. */
    BUDGET_RESERVATION_TTL_S: z.coerce.number().int().positive().default(900),
    // --- end of access control ---
  })
  .superRefine((c, ctx) => {
    if (c.JUDGE_MODEL && !existsSync(c.JUDGE_PROMPT_FILE))
      ctx.addIssue({ code: 'custom', path: ['JUDGE_PROMPT_FILE'], message: 'file not found (needed by JUDGE_MODEL)' });
    if (c.MODELS_FILE) {
      try {
        if (readEmbeddingsEntry(c.MODELS_FILE) && c.EMBEDDING_DIM === 0)
          ctx.addIssue({
            code: 'custom',
            path: ['EMBEDDING_DIM'],
            message:
              'is 0 but MODELS_FILE configures embeddings: set it (e.g. 16) on the router, reward-aggregator and batch-planner alike',
          });
      } catch (e) {
        ctx.addIssue({ code: 'custom', path: ['MODELS_FILE'], message: (e as Error).message });
      }
    }
    if (!c.ALLOW_NO_AUTH && c.ROUTER_API_KEYS.length === 0 && !c.API_KEYS_FROM_DATABASE_ONLY)
      ctx.addIssue({
        code: 'custom',
        path: ['ROUTER_API_KEYS'],
        message:
          'no API key: set ROUTER_API_KEYS (or API_KEYS_FROM_DATABASE_ONLY=true to use only the api_keys table); ALLOW_NO_AUTH=true runs without keys, for development only',
      });
    if (c.PROVIDER === 'replay' && !c.REPLAY_DATASET)
      ctx.addIssue({ code: 'custom', path: ['REPLAY_DATASET'], message: 'is required when PROVIDER=replay' });
    if (c.PROVIDER === 'openai' && !c.OPENAI_BASE_URL)
      ctx.addIssue({ code: 'custom', path: ['OPENAI_BASE_URL'], message: 'is required when PROVIDER=openai' });
  });

export type RouterConfig = z.infer<typeof routerEnvSchema>;
/** Variables whose values a configuration error must not print (it names them, and says what is wrong). */
const SECRET_VARIABLES = ['ROUTER_API_KEYS', 'ADMIN_TOKEN', 'OPENAI_API_KEY'];

export function loadRouterConfig(env: NodeJS.ProcessEnv = process.env): RouterConfig {
  try {
    return loadConfig('router', routerEnvSchema, env);
  } catch (e) {
    if (e instanceof ConfigError)
      for (const v of SECRET_VARIABLES)
        if (env[v]) e.message = e.message.replaceAll(`(got ${JSON.stringify(env[v])})`, '(value not shown: a secret)');
    throw e;
  }
}
