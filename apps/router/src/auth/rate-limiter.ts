import { Inject, Injectable } from '@nestjs/common';
import { BatchedWrites } from './batched-writes';
import { ACCESS_DB, AccessDb } from './database';

export type RateDecision = { ok: true } | { ok: false; retryAfterS: number; reason: string };

const UNLIMITED = 2_147_483_647;

/**
 * Requests and tokens per minute per key, in fixed one-minute windows counted in PostgreSQL
 * (database time), so that every router replica shares them. A request is admitted by one
 * UPSERT that adds it only while both counters are under their limits; its tokens are added
 * after the call, when they are known (so one admitted call may take the token count past
 * the limit; the next one is refused).
 */
@Injectable()
export class RateLimiter {
  // The tokens of concurrent calls, summed per key, in one UPSERT (docs/decisions/0025).
  private readonly tokenWrites = new BatchedWrites<{ keyHash: string; tokens: number }>(async (calls) => {
    const perKey = new Map<string, number>();
    for (const c of calls) perKey.set(c.keyHash, (perKey.get(c.keyHash) ?? 0) + c.tokens);
    await this.db.query(
      `INSERT INTO rate_windows (key_hash, window_start, requests, tokens)
       SELECT key_hash, date_trunc('minute', now()), 0, tokens FROM unnest($1::text[], $2::bigint[]) AS t(key_hash, tokens)
       ON CONFLICT (key_hash, window_start) DO UPDATE SET tokens = rate_windows.tokens + EXCLUDED.tokens`,
      [[...perKey.keys()], [...perKey.values()]],
    );
  });

  constructor(@Inject(ACCESS_DB) private readonly db: AccessDb) {}

  async admit(keyHash: string, limits: { rpm?: number; tpm?: number }): Promise<RateDecision> {
    if (!limits.rpm && !limits.tpm) return { ok: true };
    const { rows } = await this.db.query<{ admitted: boolean; retry_after_s: number }>(
      `WITH admitted AS (
         INSERT INTO rate_windows (key_hash, window_start, requests, tokens)
         VALUES ($1, date_trunc('minute', now()), 1, 0)
         ON CONFLICT (key_hash, window_start) DO UPDATE SET requests = rate_windows.requests + 1
           WHERE rate_windows.requests < $2 AND rate_windows.tokens < $3
         RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM admitted) AS admitted,
              ceil(extract(epoch FROM date_trunc('minute', now()) + interval '1 minute' - now()))::int AS retry_after_s`,
      [keyHash, limits.rpm ?? UNLIMITED, limits.tpm ?? UNLIMITED],
    );
    if (rows[0].admitted) return { ok: true };
    return {
      ok: false,
      retryAfterS: rows[0].retry_after_s,
      reason: `rate limit of this key reached (${[
        limits.rpm && `${limits.rpm} requests`,
        limits.tpm && `${limits.tpm} tokens`,
      ]
        .filter(Boolean)
        .join(', ')} per minute)`,
    };
  }

  /** Resolves once the tokens are committed (batched with concurrent calls' tokens). */
  async addTokens(keyHash: string, tokens: number): Promise<void> {
    if (!(tokens > 0)) return;
    await this.tokenWrites.add({ keyHash, tokens: Math.ceil(tokens) });
  }

  /** Windows older than a few minutes are never read again. */
  async prune(): Promise<void> {
    await this.db.query(`DELETE FROM rate_windows WHERE window_start < now() - interval '5 minutes'`);
  }
}
