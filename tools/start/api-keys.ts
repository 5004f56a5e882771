/**
 * The API key `npm start` creates on first start. The registry (api-keys.json) holds only
 * SHA-256 hashes, in the shape of the router's api_keys table; the key itself is kept in a
 * separate file only the user can read, because the router is handed keys in ROUTER_API_KEYS
 * until it reads them from PostgreSQL (docs/decisions/0012-npm-start-and-data-dir.md).
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export const API_KEY_PREFIX = 'sk-router-';
export const DEFAULT_SCOPES = ['default'];

const Registry = z.object({
  keys: z.array(
    z.object({ hash: z.string().regex(/^[0-9a-f]{64}$/), scopes: z.array(z.string()), createdAt: z.string() }),
  ),
});
type Registry = z.infer<typeof Registry>;

export const apiKeyFiles = (dataDir: string) => ({
  registry: join(dataDir, 'api-keys.json'),
  key: join(dataDir, 'api-key'),
});

/** 32 random bytes, URL-safe: 256 bits, and no character a shell or a header would mangle. */
export function generateApiKey(random: (n: number) => Buffer = randomBytes): string {
  return `${API_KEY_PREFIX}${random(32).toString('base64url')}`;
}

export const hashApiKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

/** ROUTER_API_KEYS as the router takes it: a JSON list of keys with their scopes. */
export const routerApiKeysEnv = (key: string) => JSON.stringify([{ key, scopes: DEFAULT_SCOPES }]);

function readRegistry(file: string): Registry {
  if (!existsSync(file)) return { keys: [] };
  const parsed = Registry.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file} is not an API key registry: ${parsed.error.issues[0].message}`);
  return parsed.data;
}

/** Owner read/write only, also when the file was there before with looser permissions. */
function writePrivate(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

export interface ApiKey {
  key: string;
  /** True when this call made it: the only time it is shown. */
  created: boolean;
  keyFile: string;
  registryFile: string;
}

/**
 * The data dir's key: the kept one when its hash is registered, else a new one, registered
 * and kept (a registry whose kept key was deleted gets a new key beside the old hashes).
 */
export function ensureApiKey(dataDir: string, now: () => Date = () => new Date()): ApiKey {
  const files = apiKeyFiles(dataDir);
  const registry = readRegistry(files.registry);
  if (existsSync(files.key)) {
    const key = readFileSync(files.key, 'utf8').trim();
    if (registry.keys.some((k) => k.hash === hashApiKey(key))) {
      return { key, created: false, keyFile: files.key, registryFile: files.registry };
    }
  }
  const key = generateApiKey();
  registry.keys.push({ hash: hashApiKey(key), scopes: DEFAULT_SCOPES, createdAt: now().toISOString() });
  writePrivate(files.registry, `${JSON.stringify(registry, null, 2)}\n`);
  writePrivate(files.key, `${key}\n`);
  return { key, created: true, keyFile: files.key, registryFile: files.registry };
}

/** The kept key, if the data dir has one (for a service started alone beside `npm start`). */
export function keptApiKey(dataDir: string): string | undefined {
  const { key } = apiKeyFiles(dataDir);
  return existsSync(key) ? readFileSync(key, 'utf8').trim() || undefined : undefined;
}
