import { existsSync } from 'node:fs';
import { z } from 'zod';
import { basePolicyName, formatOptionProblems, policyNameProblems, policyOptionProblems } from '@llm-router/bandits';
import { DEFAULT_FEATURE_DIM } from '@llm-router/features';
// Registers 'preference' (its library depends on the bandits one): every registered policy
// can then be configured, and is known to every service that reads these variables.
import '@llm-router/preference';
import { unsetIfEmpty } from './unset-if-empty';

/** A service refuses to start on bad configuration, with one message naming every bad variable. */
export class ConfigError extends Error {
  constructor(service: string, problems: string[]) {
    super(`${service}: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const brokerList = z
  .string({ error: 'is required (comma-separated host:port list)' })
  .transform((s) =>
    s
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
  )
  .pipe(
    z.array(z.string().regex(/^[^:\s]+:\d{1,5}$/, 'each broker must be host:port')).min(1, 'needs at least one broker'),
  );

const postgresUrl = z
  .string({ error: 'is required (postgres://user@host:port/db)' })
  .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://');

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** A JSON object variable, or {} when unset or blank. */
function jsonObjectEnv(what: string) {
  return z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (!s || !s.trim()) return {} as Record<string, unknown>;
      try {
        const v: unknown = JSON.parse(s);
        if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
      } catch {
        /* reported below */
      }
      ctx.addIssue({ code: 'custom', message: `must be a JSON object of ${what}` });
      return z.NEVER;
    });
}

/**
 * A zod transform that reads a value with a parser of its own: the parser's error message becomes
 * the variable's issue, so the service stops at start naming the variable and what is wrong.
 */
export function parsedBy<I, O>(parse: (value: I) => O) {
  return (value: I, ctx: z.RefinementCtx): O => {
    try {
      return parse(value);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  };
}

function addNameIssues(ctx: z.RefinementCtx, name: string, path: string[] = []): void {
  for (const message of policyNameProblems(name)) ctx.addIssue({ code: 'custom', path, message });
}

/** SCOPE_POLICIES: `support=thompson,code=linucb` or a JSON object; scopes not named use the default policy. */
export const scopePoliciesEnv = z
  .string()
  .optional()
  .transform((s, ctx) => {
    if (!s || !s.trim()) return {} as Record<string, string>;
    let out: Record<string, string> = {};
    if (s.trim().startsWith('{')) {
      try {
        out = z.record(z.string(), z.string().min(1)).parse(JSON.parse(s));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of scope -> policy name' });
        return z.NEVER;
      }
    } else {
      for (const part of s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)) {
        const [scope, policy] = part.split('=').map((x) => x?.trim());
        if (!scope || !policy) {
          ctx.addIssue({ code: 'custom', message: `"${part}" is not scope=policy` });
          return z.NEVER;
        }
        out[scope] = policy;
      }
    }
    for (const [scope, policy] of Object.entries(out)) addNameIssues(ctx, policy, [scope]);
    return out;
  });

/**
 * POLICY_OPTIONS: a JSON object of policy name -> options, e.g.
 * `{"epsilon-greedy":{"epsilon":0.05},"conservative":{"baseline":"m","alpha":0.1}}`. Every
 * name must be registered and every option known to its schema, of the right type and range.
 */
export const policyOptionsEnv = jsonObjectEnv('policy name -> options').transform((byPolicy, ctx) => {
  for (const [name, options] of Object.entries(byPolicy)) {
    const nameProblems = policyNameProblems(name);
    if (nameProblems.length > 0) addNameIssues(ctx, name, [name]);
    else if (name.includes(':'))
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: `name the policy without its argument ('${basePolicyName(name)}')`,
      });
    else
      for (const p of policyOptionProblems(name, options))
        ctx.addIssue({ code: 'custom', path: [name, ...p.path.map(String)], message: p.message });
  }
  return byPolicy as Record<string, Record<string, unknown>>;
});

/** SCOPE_POLICY_OPTIONS: a JSON object of scope -> options of that scope's policy (checked in policyOptionsFromEnv). */
export const scopePolicyOptionsEnv = jsonObjectEnv('scope -> options').transform((byScope, ctx) => {
  for (const [scope, options] of Object.entries(byScope))
    if (typeof options !== 'object' || options === null || Array.isArray(options))
      ctx.addIssue({ code: 'custom', path: [scope], message: 'must be an object of option -> value' });
  return byScope as Record<string, Record<string, unknown>>;
});

/**
 * PACER_PAYBACK_QUERIES: an overspend or underspend is paid back over this many of the fleet's
 * next queries, by the routers' pacers and the aggregator's fleet pacer alike. 50: the debt a
 * live stream carries at any moment (at the end of a day, of an e2e run) is about proportional
 * to it, and halving 100 halved it with two routers at no measurable cost in quality
 * (docs/decisions/0013, second amendment).
 */
export const pacerPaybackEnv = z.coerce.number().int().min(10).default(50);

/**
 * BUDGET_PER_QUERY_USD: the per-query target each router paces its own decisions against and the
 * aggregator's fleet pacer corrects toward; unset (or empty) = no pacing. Router and aggregator read it alike.
 */
export const budgetPerQueryEnv = unsetIfEmpty(z.coerce.number().positive());

/**
 * WARM_START_FILE: an offline reward file (the replay's JSONL) that primes each scope once, when it
 * has no stored state, as replay --warm-start does. Every service that holds a policy reads it: the
 * aggregator primes the stored scope, a replica (router, batch-planner) the copy it decides with
 * until the first snapshot, and the batch-planner takes its prompts as the forecast of the mix.
 */
export const warmStartFileEnv = unsetIfEmpty(z.string()).refine(
  (f) => f === undefined || existsSync(f),
  'file not found',
);

/** Variables of every service that holds a policy (router, reward-aggregator, batch-planner): they must agree. */
export const policyEnvShape = {
  /** Default policy of every scope. */
  ROUTER_POLICY: z
    .string()
    .min(1)
    .default('auto')
    .superRefine((name, ctx) => addNameIssues(ctx, name)),
  /** Per-scope overrides of ROUTER_POLICY, e.g. `support=thompson,code=linucb`. */
  SCOPE_POLICIES: scopePoliciesEnv,
  /** Options per policy name (JSON). */
  POLICY_OPTIONS: policyOptionsEnv,
  /** Options per scope (JSON), over POLICY_OPTIONS of the scope's policy. */
  SCOPE_POLICY_OPTIONS: scopePolicyOptionsEnv,
  FEATURE_DIM: z.coerce.number().int().min(16).max(4096).default(DEFAULT_FEATURE_DIM),
  /**
   * Coordinates of the embedding block after the FEATURE_DIM hashed features (an embeddings
   * provider's vector or the caller's `features`, docs/decisions/0024); 0 = no block.
   */
  EMBEDDING_DIM: z.coerce.number().int().min(0).max(256).default(0),
  /**
   * Seeds what a fleet shares: each scope's first policy, the embedding projection. Each replica's
   * decisions after a snapshot draw on a stream of its own (EngineOptions.replicaSalt).
   */
  POLICY_SEED: z.coerce.number().int().default(1),
  DEFAULT_LAMBDA: z.coerce.number().nonnegative().default(0),
  /** Replicas (router, batch-planner) apply policy snapshots at most this often per scope. */
  SNAPSHOT_APPLY_MS: z.coerce.number().int().min(0).default(1000),
};

type PolicyEnv = {
  ROUTER_POLICY: string;
  SCOPE_POLICIES: Record<string, string>;
  POLICY_OPTIONS?: Record<string, Record<string, unknown>>;
  SCOPE_POLICY_OPTIONS?: Record<string, Record<string, unknown>>;
  FEATURE_DIM: number;
  EMBEDDING_DIM: number;
  POLICY_SEED: number;
  DEFAULT_LAMBDA: number;
  SNAPSHOT_APPLY_MS: number;
};

/** The dimension of every policy: the hashed features, then the embedding block. */
export function policyFeatureDim(c: Pick<PolicyEnv, 'FEATURE_DIM' | 'EMBEDDING_DIM'>): number {
  return c.FEATURE_DIM + c.EMBEDDING_DIM;
}

/**
 * The engine options those variables describe. Checks what no single variable can: the
 * options each configured policy ends up with (POLICY_OPTIONS of its name, then its scope's
 * SCOPE_POLICY_OPTIONS) against its schema, complete (conservative needs a baseline). Services
 * call it while they are built, so a bad combination stops them with a ConfigError.
 */
export function policyOptionsFromEnv(c: PolicyEnv, service = 'policy configuration') {
  const optionsByPolicy = c.POLICY_OPTIONS ?? {};
  const scopePolicyOptions = c.SCOPE_POLICY_OPTIONS ?? {};
  const problems: string[] = [];
  const check = (name: string, scope: string | null) => {
    const options = { ...optionsByPolicy[basePolicyName(name)], ...(scope ? scopePolicyOptions[scope] : {}) };
    const where = scope
      ? `scope ${scope} (${name}): ${scopePolicyOptions[scope] ? 'SCOPE_POLICY_OPTIONS.' + scope : 'POLICY_OPTIONS.' + basePolicyName(name)}`
      : `ROUTER_POLICY=${name}: POLICY_OPTIONS.${basePolicyName(name)}`;
    problems.push(...formatOptionProblems(where, policyOptionProblems(name, options, { complete: true })));
  };
  check(c.ROUTER_POLICY, null);
  for (const scope of new Set([...Object.keys(c.SCOPE_POLICIES), ...Object.keys(scopePolicyOptions)]))
    check(c.SCOPE_POLICIES[scope] ?? c.ROUTER_POLICY, scope);
  if (problems.length > 0) throw new ConfigError(service, problems);
  return {
    algorithm: c.ROUTER_POLICY,
    scopePolicies: c.SCOPE_POLICIES,
    optionsByPolicy,
    scopePolicyOptions,
    featureDim: c.FEATURE_DIM,
    embeddingDim: c.EMBEDDING_DIM,
    seed: c.POLICY_SEED,
    defaultLambda: c.DEFAULT_LAMBDA,
    applyIntervalMs: c.SNAPSHOT_APPLY_MS,
  };
}

/**
 * How a consumer treats a message that its handler or the database refuses: it tries again
 * CONSUMER_RETRIES times (waiting CONSUMER_RETRY_BACKOFF_MS, doubled each time), then parks it
 * on <topic>.dlq and moves on (docs/decisions/0008).
 */
export const consumerRetryEnvShape = {
  CONSUMER_RETRIES: z.coerce.number().int().min(0).max(20).default(3),
  CONSUMER_RETRY_BACKOFF_MS: z.coerce.number().int().min(0).max(60000).default(200),
};

export type ConsumerRetryConfig = { CONSUMER_RETRIES: number; CONSUMER_RETRY_BACKOFF_MS: number };

/**
 * Kafka authentication (docs/decisions/0021-kafka-sasl-and-acls.md): each service connects as
 * its own SCRAM principal, which the brokers' ACLs allow exactly its topics and groups.
 * KAFKA_SASL_PASSWORD is a secret: no issue is ever reported against it, so a configuration
 * error (which quotes the value of the variable it names) cannot print it.
 */
const kafkaSaslEnvShape = {
  KAFKA_SASL_MECHANISM: unsetIfEmpty(z.enum(['scram-sha-512'], { error: 'must be scram-sha-512' })),
  KAFKA_SASL_USERNAME: unsetIfEmpty(z.string()),
  KAFKA_SASL_PASSWORD: unsetIfEmpty(z.string()),
  /** TLS to the brokers (SASL_SSL listeners). */
  KAFKA_SSL: z
    .enum(['true', 'false', '1', '0', ''])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
};

type KafkaSaslEnv = {
  KAFKA_SASL_MECHANISM?: 'scram-sha-512';
  KAFKA_SASL_USERNAME?: string;
  KAFKA_SASL_PASSWORD?: string;
};

function checkKafkaSasl(c: KafkaSaslEnv, ctx: z.RefinementCtx): void {
  if (c.KAFKA_SASL_USERNAME && !c.KAFKA_SASL_PASSWORD)
    ctx.addIssue({ code: 'custom', path: ['KAFKA_SASL_PASSWORD'], message: 'is required with KAFKA_SASL_USERNAME' });
  else if (!c.KAFKA_SASL_USERNAME && (c.KAFKA_SASL_PASSWORD || c.KAFKA_SASL_MECHANISM))
    ctx.addIssue({
      code: 'custom',
      path: ['KAFKA_SASL_USERNAME'],
      message:
        'is required with KAFKA_SASL_PASSWORD or KAFKA_SASL_MECHANISM (set both username and password, or neither)',
    });
}

/** Variables every service reads. */
export const baseEnvSchema = (service: string, httpPort: number) =>
  z
    .object({
      KAFKA_BROKERS: brokerList,
      DATABASE_URL: postgresUrl,
      HTTP_PORT: port(httpPort),
      KAFKA_CLIENT_ID: z.string().min(1).default(service),
      /** A consumer's fetch waits at most this at the broker; unset: libs/io/kafka's DEFAULT_FETCH_MAX_WAIT_MS. */
      KAFKA_FETCH_MAX_WAIT_MS: unsetIfEmpty(z.coerce.number().int().min(10).max(30000)),
      LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      ...consumerRetryEnvShape,
      ...kafkaSaslEnvShape,
    })
    .superRefine(checkKafkaSasl);

/** The service's Kafka connection (libs/io/kafka KafkaConnection): brokers, client id, its principal. */
export function kafkaConnectionOf(c: BaseConfig) {
  return {
    brokers: c.KAFKA_BROKERS,
    clientId: c.KAFKA_CLIENT_ID,
    ...(c.KAFKA_FETCH_MAX_WAIT_MS !== undefined ? { fetchMaxWaitMs: c.KAFKA_FETCH_MAX_WAIT_MS } : {}),
    ...(c.KAFKA_SASL_USERNAME && c.KAFKA_SASL_PASSWORD
      ? {
          sasl: {
            mechanism: c.KAFKA_SASL_MECHANISM ?? ('scram-sha-512' as const),
            username: c.KAFKA_SASL_USERNAME,
            password: c.KAFKA_SASL_PASSWORD,
          },
        }
      : {}),
    ...(c.KAFKA_SSL ? { ssl: true } : {}),
  };
}

export type BaseConfig = z.infer<ReturnType<typeof baseEnvSchema>>;

/** Parses the environment against a schema; throws ConfigError listing each problem by variable. */
export function loadConfig<S extends z.ZodType>(
  service: string,
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const r = schema.safeParse(env);
  if (r.success) return r.data;
  throw new ConfigError(
    service,
    r.error.issues.map(
      (i) =>
        `${i.path.join('.') || '(env)'}: ${i.message}${i.path.length ? ` (got ${JSON.stringify(env[String(i.path[0])] ?? null)})` : ''}`,
    ),
  );
}

export const APP_CONFIG = Symbol('APP_CONFIG');
