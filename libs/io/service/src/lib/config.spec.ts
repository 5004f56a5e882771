import { z } from 'zod';
import {
  baseEnvSchema,
  ConfigError,
  kafkaConnectionOf,
  loadConfig,
  parsedBy,
  scopePoliciesEnv,
  warmStartFileEnv,
} from './config';

describe('loadConfig', () => {
  const schema = baseEnvSchema('svc', 3000).extend({ EXTRA: z.coerce.number().int().positive().default(5) });

  it('parses a valid environment with defaults', () => {
    const c = loadConfig('svc', schema, { KAFKA_BROKERS: 'a:1, b:2', DATABASE_URL: 'postgres://u@h:5/db' });
    expect(c.KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(c.HTTP_PORT).toBe(3000);
    expect(c.KAFKA_CLIENT_ID).toBe('svc');
    expect(c.EXTRA).toBe(5);
  });

  it('names every bad variable in one error', () => {
    let err: unknown;
    try {
      loadConfig('svc', schema, {
        KAFKA_BROKERS: 'nohost',
        DATABASE_URL: 'mysql://x',
        HTTP_PORT: '99999',
        EXTRA: '-1',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^svc: invalid configuration/);
    for (const v of ['KAFKA_BROKERS', 'DATABASE_URL', 'HTTP_PORT', 'EXTRA']) expect(msg).toContain(v);
    expect(msg).toContain('"nohost"');
  });

  it('says which variable is missing', () => {
    expect(() => loadConfig('svc', schema, {})).toThrow(/KAFKA_BROKERS: is required[\s\S]*DATABASE_URL: is required/);
  });
});

describe('parsedBy', () => {
  const even = (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n % 2 !== 0) throw new Error(`must be an even integer, got '${v}'`);
    return n;
  };
  const schema = z.object({ EVEN: z.string().transform(parsedBy(even)) });

  it("returns the parser's value", () => {
    expect(schema.parse({ EVEN: '4' }).EVEN).toBe(4);
  });

  it("turns the parser's error into the variable's issue", () => {
    const r = schema.safeParse({ EVEN: '3' });
    expect(r.success).toBe(false);
    expect(r.error!.issues).toEqual([
      expect.objectContaining({ path: ['EVEN'], message: "must be an even integer, got '3'" }),
    ]);
  });
});

describe('SCOPE_POLICIES', () => {
  const schema = baseEnvSchema('svc', 3000).extend({ SCOPE_POLICIES: scopePoliciesEnv });
  const env = { KAFKA_BROKERS: 'a:1', DATABASE_URL: 'postgres://h/db' };

  it('reads scope=policy lists and JSON objects', () => {
    expect(
      loadConfig('svc', schema, { ...env, SCOPE_POLICIES: 'support=thompson, code=linucb' }).SCOPE_POLICIES,
    ).toEqual({ support: 'thompson', code: 'linucb' });
    expect(loadConfig('svc', schema, { ...env, SCOPE_POLICIES: '{"a":"ucb1"}' }).SCOPE_POLICIES).toEqual({ a: 'ucb1' });
    expect(loadConfig('svc', schema, env).SCOPE_POLICIES).toEqual({});
  });

  it('refuses malformed entries', () => {
    expect(() => loadConfig('svc', schema, { ...env, SCOPE_POLICIES: 'support' })).toThrow(
      /SCOPE_POLICIES: "support" is not scope=policy/,
    );
    expect(() => loadConfig('svc', schema, { ...env, SCOPE_POLICIES: '{bad' })).toThrow(
      /SCOPE_POLICIES: must be a JSON object/,
    );
  });
});

describe('Kafka SASL variables', () => {
  const schema = baseEnvSchema('svc', 3000).extend({ EXTRA: z.string().default('x') });
  const env = { KAFKA_BROKERS: 'a:1', DATABASE_URL: 'postgres://h/db' };
  const password = 'pw-s3cret-value';
  const errorOf = (vars: Record<string, string>): string => {
    try {
      loadConfig('svc', schema, { ...env, ...vars });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('connects without SASL when none is set', () => {
    const conn = kafkaConnectionOf(loadConfig('svc', schema, env));
    expect(conn).toEqual({ brokers: ['a:1'], clientId: 'svc' });
  });

  it('gives the connection its principal, SCRAM-SHA-512 by default, and TLS when asked', () => {
    const c = loadConfig('svc', schema, {
      ...env,
      KAFKA_SASL_USERNAME: 'router',
      KAFKA_SASL_PASSWORD: password,
      KAFKA_SSL: 'true',
    });
    expect(kafkaConnectionOf(c)).toEqual({
      brokers: ['a:1'],
      clientId: 'svc',
      sasl: { mechanism: 'scram-sha-512', username: 'router', password },
      ssl: true,
    });
  });

  it('needs the username and the password together, and never prints the password', () => {
    const noUser = errorOf({ KAFKA_SASL_PASSWORD: password });
    expect(noUser).toMatch(/KAFKA_SASL_USERNAME: is required with KAFKA_SASL_PASSWORD/);
    expect(errorOf({ KAFKA_SASL_USERNAME: 'router' })).toMatch(
      /KAFKA_SASL_PASSWORD: is required with KAFKA_SASL_USERNAME/,
    );
    expect(errorOf({ KAFKA_SASL_MECHANISM: 'scram-sha-512' })).toMatch(/KAFKA_SASL_USERNAME: is required/);
    // Other problems reported next to a set password do not quote it either.
    const mixed = errorOf({ KAFKA_SASL_PASSWORD: password, KAFKA_SASL_MECHANISM: 'plain', HTTP_PORT: '-1' });
    expect(mixed).toMatch(/KAFKA_SASL_MECHANISM: must be scram-sha-512/);
    for (const msg of [noUser, mixed]) expect(msg).not.toContain(password);
  });

  it('treats empty variables as unset', () => {
    const c = loadConfig('svc', schema, { ...env, KAFKA_SASL_USERNAME: '', KAFKA_SASL_PASSWORD: '', KAFKA_SSL: '' });
    expect(kafkaConnectionOf(c)).toEqual({ brokers: ['a:1'], clientId: 'svc' });
  });
});

describe('warmStartFileEnv', () => {
  it('takes an empty value as unset, keeps a file that exists and refuses one that does not', () => {
    expect(warmStartFileEnv.parse('')).toBeUndefined();
    expect(warmStartFileEnv.parse(undefined)).toBeUndefined();
    expect(warmStartFileEnv.parse(__filename)).toBe(__filename);
    const r = warmStartFileEnv.safeParse('/nonexistent/warm.jsonl');
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].message).toBe('file not found');
  });
});
