import { Inject, Injectable } from '@nestjs/common';
import { ACCESS_DB, AccessDb } from './database';

/** Which key made each HTTP decision: feedback on a decision is accepted from that key only. */
@Injectable()
export class DecisionOwners {
  constructor(@Inject(ACCESS_DB) private readonly db: AccessDb) {}

  async record(decisionId: string, requestId: string, keyHash: string): Promise<void> {
    await this.db.query(
      `INSERT INTO decision_owner (decision_id, request_id, key_hash) VALUES ($1, $2, $3)
       ON CONFLICT (decision_id) DO NOTHING`,
      [decisionId, requestId, keyHash],
    );
  }

  /** The owner's key hash, by decision id or request id; undefined when no HTTP decision has that id. */
  async owner(ref: { decisionId?: string; requestId?: string }): Promise<string | undefined> {
    const { rows } = await this.db.query<{ key_hash: string }>(
      `SELECT key_hash FROM decision_owner WHERE decision_id = $1 OR request_id = $2 LIMIT 1`,
      [ref.decisionId ?? null, ref.requestId ?? null],
    );
    return rows[0]?.key_hash;
  }
}
