import { DataSource } from 'typeorm';

export interface StoredAnswer<R = unknown, D = unknown> {
  scope: string;
  requestId: string;
  response: R;
  decision: D | null;
}

/**
 * The router's idempotency records (table router_answers), read and written a Kafka batch at
 * a time: one query each way per batch, whatever its size.
 */
export class AnswerStore {
  constructor(private readonly ds: DataSource) {}

  /** The stored answers among these (scope, request id) pairs, keyed `${scope}\u0000${requestId}`. */
  async find<R, D>(keys: { scope: string; requestId: string }[]): Promise<Map<string, StoredAnswer<R, D>>> {
    const out = new Map<string, StoredAnswer<R, D>>();
    if (keys.length === 0) return out;
    const rows: { scope: string; request_id: string; response: R; decision: D | null }[] = await this.ds.query(
      `SELECT a.scope, a.request_id, a.response, a.decision
         FROM router_answers a
         JOIN unnest($1::text[], $2::text[]) AS k(scope, request_id)
           ON a.scope = k.scope AND a.request_id = k.request_id`,
      [keys.map((k) => k.scope), keys.map((k) => k.requestId)],
    );
    for (const r of rows)
      out.set(answerKey(r.scope, r.request_id), {
        scope: r.scope,
        requestId: r.request_id,
        response: r.response,
        decision: r.decision,
      });
    return out;
  }

  /**
   * Records answers; an answer already stored for the same key is kept (the first one wins).
   * The rows travel as one JSON document: as text[] and jsonb[] parameters, pg escaped every
   * character of every answer into an array literal, a long synchronous step per batch. json,
   * not jsonb: the answers are stored as the text they are (migration 1764220000000).
   */
  async save(answers: StoredAnswer[]): Promise<void> {
    if (answers.length === 0) return;
    await this.ds.query(
      `INSERT INTO router_answers (scope, request_id, response, decision)
       SELECT scope, request_id, response, decision
         FROM json_to_recordset($1::json) AS r(scope text, request_id text, response json, decision json)
       ON CONFLICT (scope, request_id) DO NOTHING`,
      [
        JSON.stringify(
          answers.map((a) => ({ scope: a.scope, request_id: a.requestId, response: a.response, decision: a.decision })),
        ),
      ],
    );
  }
}

export function answerKey(scope: string, requestId: string): string {
  return `${scope}\u0000${requestId}`;
}
