import { z } from 'zod';

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

/** SCOPE_POLICIES: `support=thompson,code=linucb` or a JSON object; scopes not named use the default policy. */
export const scopePoliciesEnv = z
  .string()
  .optional()
  .transform((s, ctx) => {
    if (!s || !s.trim()) return {} as Record<string, string>;
    if (s.trim().startsWith('{')) {
      try {
        return z.record(z.string(), z.string().min(1)).parse(JSON.parse(s));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of scope -> policy name' });
        return z.NEVER;
      }
    }
    const out: Record<string, string> = {};
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
    return out;
  });

/** Variables of every service that holds a policy (router, reward-aggregator, batch-planner): they must agree. */
export const policyEnvShape = {
  /** Default policy of every scope. */
  ROUTER_POLICY: z.string().min(1).default('auto'),
  /** Per-scope overrides of ROUTER_POLICY, e.g. `support=thompson,code=linucb`. */
  SCOPE_POLICIES: scopePoliciesEnv,
  FEATURE_DIM: z.coerce.number().int().min(16).max(4096).default(64),
  POLICY_SEED: z.coerce.number().int().default(1),
  DEFAULT_LAMBDA: z.coerce.number().nonnegative().default(0),
  /** Replicas (router, batch-planner) apply policy snapshots at most this often per scope. */
  SNAPSHOT_APPLY_MS: z.coerce.number().int().min(0).default(1000),
};

type PolicyEnv = {
  ROUTER_POLICY: string;
  SCOPE_POLICIES: Record<string, string>;
  FEATURE_DIM: number;
  POLICY_SEED: number;
  DEFAULT_LAMBDA: number;
  SNAPSHOT_APPLY_MS: number;
};

/** The engine options those variables describe. */
export function policyOptionsFromEnv(c: PolicyEnv) {
  return {
    algorithm: c.ROUTER_POLICY,
    scopePolicies: c.SCOPE_POLICIES,
    featureDim: c.FEATURE_DIM,
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

/** An empty variable means "not set", as in a shell. */
const unsetIfEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

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
