import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKeyFiles, ensureApiKey, generateApiKey, keptApiKey, routerApiKeysEnv } from './api-keys';

describe('generateApiKey', () => {
  it('is the prefix and 32 random bytes in URL-safe base64', () => {
    expect(generateApiKey(() => Buffer.alloc(32, 0xff))).toBe(`sk-router-${'_'.repeat(42)}8`);
    const keys = new Set(Array.from({ length: 50 }, () => generateApiKey()));
    expect(keys.size).toBe(50);
    for (const key of keys) expect(key).toMatch(/^sk-router-[A-Za-z0-9_-]{43}$/);
  });
});

describe('ensureApiKey', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'api-keys-spec-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const now = () => new Date('2026-01-02T03:04:05.000Z');

  it('creates a key once, registers its hash only, and keeps the key for the user alone', () => {
    const first = ensureApiKey(dir, now);
    expect(first.created).toBe(true);
    const files = apiKeyFiles(dir);
    const registry = readFileSync(files.registry, 'utf8');
    expect(registry).not.toContain(first.key);
    expect(JSON.parse(registry)).toEqual({
      keys: [
        {
          hash: createHash('sha256').update(first.key).digest('hex'),
          scopes: ['default'],
          createdAt: '2026-01-02T03:04:05.000Z',
        },
      ],
    });
    expect(statSync(files.registry).mode & 0o777).toBe(0o600);
    expect(statSync(files.key).mode & 0o777).toBe(0o600);

    const again = ensureApiKey(dir, now);
    expect(again).toEqual({ ...first, created: false });
    expect(keptApiKey(dir)).toBe(first.key);
  });

  it('makes a new key beside the old hashes when the kept key is gone or not registered', () => {
    const first = ensureApiKey(dir, now);
    unlinkSync(apiKeyFiles(dir).key);
    const second = ensureApiKey(dir, now);
    expect(second.created).toBe(true);
    expect(second.key).not.toBe(first.key);
    writeFileSync(apiKeyFiles(dir).key, 'sk-router-typed-by-hand\n');
    chmodSync(apiKeyFiles(dir).key, 0o644);
    const third = ensureApiKey(dir, now);
    expect(third.created).toBe(true);
    expect(JSON.parse(readFileSync(apiKeyFiles(dir).registry, 'utf8')).keys).toHaveLength(3);
    expect(statSync(apiKeyFiles(dir).key).mode & 0o777).toBe(0o600);
  });

  it('refuses a registry it cannot read rather than overwrite it', () => {
    writeFileSync(apiKeyFiles(dir).registry, JSON.stringify({ keys: [{ hash: 'nope' }] }));
    expect(() => ensureApiKey(dir, now)).toThrow(/not an API key registry/);
  });
});

describe('routerApiKeysEnv', () => {
  it('is the JSON list of keys with scopes that the router reads from ROUTER_API_KEYS', () => {
    expect(JSON.parse(routerApiKeysEnv('sk-router-abc'))).toEqual([{ key: 'sk-router-abc', scopes: ['default'] }]);
  });
});
