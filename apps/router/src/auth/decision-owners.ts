import { Inject, Injectable } from '@nestjs/common';
import { BatchedWrites } from './batched-writes';
import { ACCESS_DB, AccessDb } from './database';

interface Owner {
  decisionId: string;
  requestId: string;
  keyHash: string;
}

/** Which key made each HTTP decision: feedback on a decision is accepted from that key only. */
@Injectable()
export class DecisionOwners {
  // One multi-row INSERT for the decisions of concurrent requests (docs/decisions/0025).
  private readonly writes = new BatchedWrites<Owner>(async (owners) => {
    await this.db.query(
      `INSERT INTO decision_owner (decision_id, request_id, key_hash)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
       ON CONFLICT (decision_id) DO NOTHING`,
      [owners.map((o) => o.decisionId), owners.map((o) => o.requestId), owners.map((o) => o.keyHash)],
    );
  });

  constructor(@Inject(ACCESS_DB) private readonly db: AccessDb) {}

  /** Resolves once the owner is committed (batched with concurrent requests' owners). */
  record(decisionId: string, requestId: string, keyHash: string): Promise<void> {
    return this.writes.add({ decisionId, requestId, keyHash });
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
