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
  .transform((s) => s.split(',').map((b) => b.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[^:\s]+:\d{1,5}$/, 'each broker must be host:port')).min(1, 'needs at least one broker'));

const postgresUrl = z
  .string({ error: 'is required (postgres://user@host:port/db)' })
  .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://');

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** Variables every service reads. */
export const baseEnvSchema = (service: string, httpPort: number) =>
  z.object({
    KAFKA_BROKERS: brokerList,
    DATABASE_URL: postgresUrl,
    HTTP_PORT: port(httpPort),
    KAFKA_CLIENT_ID: z.string().min(1).default(service),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  });

export type BaseConfig = z.infer<ReturnType<typeof baseEnvSchema>>;

/** Parses the environment against a schema; throws ConfigError listing each problem by variable. */
export function loadConfig<S extends z.ZodType>(service: string, schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const r = schema.safeParse(env);
  if (r.success) return r.data;
  throw new ConfigError(
    service,
    r.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}${i.path.length ? ` (got ${JSON.stringify(env[String(i.path[0])] ?? null)})` : ''}`),
  );
}

export const APP_CONFIG = Symbol('APP_CONFIG');
