import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, sha256Hex } from '@llm-router/service';
import { loadRouterConfig } from './config';

const BASE = { KAFKA_BROKERS: 'k:9092', DATABASE_URL: 'postgres://h/db', REPLAY_DATASET: '/tmp/d.jsonl' };
/** A development router: no API keys (ALLOW_NO_AUTH). */
const DEV = { ...BASE, ALLOW_NO_AUTH: 'true' };

describe('router configuration: secure by default', () => {
  const base = BASE;
  const KEY = 'sk-test-0123456789abcdef';

  it('refuses to start without API keys, naming the variables that fix it', () => {
    let err: unknown;
    try {
      loadRouterConfig(base);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    for (const v of ['ROUTER_API_KEYS', 'ALLOW_NO_AUTH', 'API_KEYS_FROM_DATABASE_ONLY'])
      expect((err as Error).message).toContain(v);
  });

  it('starts without keys only when told so', () => {
    expect(loadRouterConfig({ ...base, ALLOW_NO_AUTH: 'true' }).ALLOW_NO_AUTH).toBe(true);
    expect(loadRouterConfig({ ...base, API_KEYS_FROM_DATABASE_ONLY: 'true' }).ROUTER_API_KEYS).toEqual([]);
    expect(() => loadRouterConfig({ ...base, ALLOW_NO_AUTH: 'maybe' })).toThrow(/ALLOW_NO_AUTH: must be true or false/);
  });

  it('compiles REPLY_TOPIC_PATTERN, and stops on one that is not a regular expression, naming it', () => {
    const open = { ...base, ALLOW_NO_AUTH: 'true' };
    expect(loadRouterConfig(open).REPLY_TOPIC_PATTERN.test('replies.app-1')).toBe(true);
    expect(loadRouterConfig({ ...open, REPLY_TOPIC_PATTERN: '^out\\.' }).REPLY_TOPIC_PATTERN.test('out.x')).toBe(true);
    expect(() => loadRouterConfig({ ...open, REPLY_TOPIC_PATTERN: 'replies.(' })).toThrow(
      /REPLY_TOPIC_PATTERN: is not a regular expression: .*unterminated group/i,
    );
  });

  it('reads the compact form and JSON, keeping only the hash of each key', () => {
    const compact = loadRouterConfig({ ...base, ROUTER_API_KEYS: `${KEY}=support|default` }).ROUTER_API_KEYS;
    expect(compact).toEqual([{ keyHash: sha256Hex(KEY), name: 'config-1', scopes: ['support', 'default'] }]);
    expect(JSON.stringify(compact)).not.toContain(KEY);
    const json = loadRouterConfig({
      ...base,
      ROUTER_API_KEYS: JSON.stringify([{ key: KEY, name: 'bench', scopes: ['default'], rpm: 60, budgetDayUsd: 5 }]),
    }).ROUTER_API_KEYS;
    expect(json[0]).toMatchObject({ name: 'bench', scopes: ['default'], rpm: 60, budgetDayUsd: 5 });
  });

  it('refuses short keys, keys without a scope and duplicates, without printing the key', () => {
    for (const bad of ['short=default', `${KEY}`, `${KEY}=default,${KEY}=support`, '[{"key": 1}]']) {
      let msg = '';
      try {
        loadRouterConfig({ ...base, ROUTER_API_KEYS: bad });
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg).toMatch(/ROUTER_API_KEYS/);
      expect(msg).not.toContain(KEY);
      expect(msg).not.toContain('short');
    }
  });

  it('reads scope budgets and the limits', () => {
    const c = loadRouterConfig({ ...base, ALLOW_NO_AUTH: 'true', SCOPE_BUDGETS: '{"default":{"dayUsd":2}}' });
    expect(c.SCOPE_BUDGETS).toEqual({ default: { dayUsd: 2 } });
    expect(c.MAX_BODY_BYTES).toBe(1024 * 1024);
    expect(c.MAX_PROMPT_CHARS).toBe(200_000);
    expect(() =>
      loadRouterConfig({ ...base, ALLOW_NO_AUTH: 'true', SCOPE_BUDGETS: '{"default":{"dayUsd":-1}}' }),
    ).toThrow(/SCOPE_BUDGETS/);
  });
});

describe('router configuration: embeddings from the models file', () => {
  const base = DEV;
  const modelsFile = (doc: unknown) => {
    const path = join(mkdtempSync(join(tmpdir(), 'router-models-')), 'models.json');
    writeFileSync(path, JSON.stringify(doc));
    return path;
  };
  const embeddings = { base_url: 'http://127.0.0.1:9', model: 'e', dim: 64 };

  it('needs EMBEDDING_DIM when the models file configures embeddings', () => {
    const MODELS_FILE = modelsFile({ models: [], embeddings });
    expect(() => loadRouterConfig({ ...base, MODELS_FILE })).toThrow(
      /EMBEDDING_DIM: is 0 but MODELS_FILE configures embeddings/,
    );
    expect(loadRouterConfig({ ...base, MODELS_FILE, EMBEDDING_DIM: '16' }).EMBEDDING_DIM).toBe(16);
    expect(loadRouterConfig({ ...base, MODELS_FILE: modelsFile({ models: [] }) }).EMBEDDING_DIM).toBe(0);
  });

  it('names the file and field of a wrong embeddings entry', () => {
    const MODELS_FILE = modelsFile({ models: [], embeddings: { ...embeddings, base_url: 'not a url' } });
    expect(() => loadRouterConfig({ ...base, MODELS_FILE, EMBEDDING_DIM: '16' })).toThrow(
      /MODELS_FILE: .*models\.json: embeddings: base_url/,
    );
  });
});

describe('router configuration: BUDGET_PER_QUERY_USD', () => {
  const base = DEV;

  it('is read as the aggregator reads it: empty is unset, else a positive number', () => {
    expect(loadRouterConfig({ ...base, BUDGET_PER_QUERY_USD: '' }).BUDGET_PER_QUERY_USD).toBeUndefined();
    expect(loadRouterConfig({ ...base, BUDGET_PER_QUERY_USD: '0.0001' }).BUDGET_PER_QUERY_USD).toBe(0.0001);
    expect(() => loadRouterConfig({ ...base, BUDGET_PER_QUERY_USD: '-1' })).toThrow(/BUDGET_PER_QUERY_USD/);
  });
});
