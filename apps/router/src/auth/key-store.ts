import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { APP_CONFIG, sha256Hex } from '@llm-router/service';
import type { RouterConfig } from '../config';
import { ApiKeyPolicy, KeyLimits } from './api-keys';
import { ACCESS_DB, AccessDb } from './database';

interface KeyRow {
  key_hash: string;
  name: string;
  scopes: string[];
  budget_day_usd: number | null;
  budget_month_usd: number | null;
  rpm: number | null;
  tpm: number | null;
}

const fromRow = (r: KeyRow): ApiKeyPolicy => ({
  keyHash: r.key_hash,
  name: r.name,
  scopes: r.scopes,
  budgetDayUsd: r.budget_day_usd ?? undefined,
  budgetMonthUsd: r.budget_month_usd ?? undefined,
  rpm: r.rpm ?? undefined,
  tpm: r.tpm ?? undefined,
});

/**
 * API keys from ROUTER_API_KEYS and from the api_keys table. A database answer (a key, or
 * "no such key") is cached for API_KEY_CACHE_S, so that a flood of requests, or of guesses,
 * does not become a flood of queries; revoking a key takes effect within that time.
 */
@Injectable()
export class KeyStore {
  private readonly configured: Map<string, ApiKeyPolicy>;
  private readonly cache = new Map<string, { policy?: ApiKeyPolicy; until: number }>();
  private readonly cacheMs: number;

  constructor(
    @Inject(APP_CONFIG) config: Pick<RouterConfig, 'ROUTER_API_KEYS' | 'API_KEY_CACHE_S'>,
    @Inject(ACCESS_DB) private readonly db: AccessDb,
  ) {
    this.configured = new Map(config.ROUTER_API_KEYS.map((k) => [k.keyHash, k]));
    this.cacheMs = config.API_KEY_CACHE_S * 1000;
  }

  async find(key: string): Promise<ApiKeyPolicy | undefined> {
    const keyHash = sha256Hex(key);
    const configured = this.configured.get(keyHash);
    if (configured) return configured;
    const cached = this.cache.get(keyHash);
    if (cached && cached.until > Date.now()) return cached.policy;
    const { rows } = await this.db.query<KeyRow>(
      `SELECT key_hash, name, scopes, budget_day_usd, budget_month_usd, rpm, tpm
         FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
      [keyHash],
    );
    const policy = rows[0] ? fromRow(rows[0]) : undefined;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(keyHash, { policy, until: Date.now() + this.cacheMs });
    return policy;
  }

  /** Creates a key in the database and returns it: the only time its plain text exists. */
  async create(limits: KeyLimits): Promise<{ key: string; policy: ApiKeyPolicy }> {
    const key = `sk-router-${randomBytes(24).toString('base64url')}`;
    const { rows } = await this.db.query<KeyRow>(
      `INSERT INTO api_keys (key_hash, name, scopes, budget_day_usd, budget_month_usd, rpm, tpm)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [
        sha256Hex(key),
        limits.name ?? `key-${new Date().toISOString()}`,
        limits.scopes,
        limits.budgetDayUsd ?? null,
        limits.budgetMonthUsd ?? null,
        limits.rpm ?? null,
        limits.tpm ?? null,
      ],
    );
    return { key, policy: fromRow(rows[0]) };
  }

  /** Revokes a key by its hash (what the key list shows); false when there is no such active key. */
  async revoke(keyHash: string): Promise<boolean> {
    const { rows } = await this.db.query(
      `UPDATE api_keys SET revoked_at = now() WHERE key_hash = $1 AND revoked_at IS NULL RETURNING key_hash`,
      [keyHash],
    );
    this.cache.delete(keyHash);
    return rows.length > 0;
  }
}
