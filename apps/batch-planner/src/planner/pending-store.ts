import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { QueryRequest } from '@llm-router/contracts';

export interface PendingRow {
  scope: string;
  requestId: string;
  /** As stored: validate it again before use. */
  query: unknown;
  receivedAt: Date;
}

/**
 * batch_pending in Postgres: the queries of this planner's open windows, so that they survive
 * a restart. A query is written before its batch.requests offset can be committed and deleted
 * once its window has been dispatched.
 *
 * The one table that holds prompts (docs/decisions/0022-data-lifecycle.md): a pending query is
 * stored whole, messages included, because a restarted planner must still send it; remove()
 * at dispatch is what keeps a prompt in PostgreSQL no longer than its query is pending.
 */
@Injectable()
export class PendingStore {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Stores a received query; false when it was already there (a re-delivery). */
  async add(q: QueryRequest, receivedAt: Date): Promise<boolean> {
    const r: unknown[] = await this.ds.query(
      `INSERT INTO batch_pending (scope, request_id, query, received_at) VALUES ($1, $2, $3::jsonb, $4)
       ON CONFLICT (scope, request_id) DO NOTHING
       RETURNING request_id`,
      [q.scope, q.id, JSON.stringify(q), receivedAt],
    );
    return r.length === 1;
  }

  /** Every pending query, oldest first. */
  async load(): Promise<PendingRow[]> {
    const rows: { scope: string; request_id: string; query: unknown; received_at: Date }[] = await this.ds.query(
      `SELECT scope, request_id, query, received_at FROM batch_pending ORDER BY received_at, scope, request_id`,
    );
    return rows.map((r) => ({
      scope: r.scope,
      requestId: r.request_id,
      query: r.query,
      receivedAt: new Date(r.received_at),
    }));
  }

  /** Forgets dispatched queries, in one statement. */
  async remove(qs: readonly QueryRequest[]): Promise<number> {
    if (qs.length === 0) return 0;
    const r: [unknown[], number] = await this.ds.query(
      `DELETE FROM batch_pending p USING unnest($1::text[], $2::text[]) AS d(scope, request_id)
       WHERE p.scope = d.scope AND p.request_id = d.request_id`,
      [qs.map((q) => q.scope), qs.map((q) => q.id)],
    );
    return r[1];
  }
}
