import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SpendEntity } from '@llm-router/persistence';

export interface SpendRow {
  spentUsd: number;
  queries: number;
}

export interface BilledRow {
  realisedUsd: number;
  expectedUsd: number;
  decisions: number;
}

/** The budget ledger in Postgres (spend_ledger): what each scope has committed per period, and what it was billed. */
@Injectable()
export class SpendStore {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async read(scope: string, period: string): Promise<SpendRow> {
    const row = await this.ds.getRepository(SpendEntity).findOneBy({ scope, period });
    return { spentUsd: row?.spentUsd ?? 0, queries: row?.queries ?? 0 };
  }

  /**
   * The bill of this scope's batch decisions in [start, end) that have a reward: what they cost
   * (the reward ledger) and what the router expected them to cost when it logged them
   * (the decision's price snapshot for its model).
   */
  async billed(scope: string, start: Date, end: Date): Promise<BilledRow> {
    const r: { realised: number | null; expected: number | null; decisions: number }[] = await this.ds.query(
      `SELECT SUM(r.cost_usd) AS realised, SUM(COALESCE((d.price_snapshot ->> d.arm)::double precision, r.cost_usd)) AS expected, COUNT(*)::int AS decisions
         FROM rewards r JOIN decisions d ON d.decision_id = r.decision_id
        WHERE d.scope = $1 AND d.mode = 'batch' AND d.decided_at >= $2 AND d.decided_at < $3`,
      [scope, start, end],
    );
    return { realisedUsd: Number(r[0].realised ?? 0), expectedUsd: Number(r[0].expected ?? 0), decisions: Number(r[0].decisions) };
  }

  /**
   * Adds a window's spend in one statement: the increment happens in the database, so
   * several planner instances (or a retried window) add up instead of overwriting each other.
   */
  async add(scope: string, period: string, usd: number, queries: number): Promise<SpendRow> {
    const r: { spent_usd: number; queries: number }[] = await this.ds.query(
      `INSERT INTO spend_ledger (scope, period, spent_usd, queries) VALUES ($1, $2, $3, $4)
       ON CONFLICT (scope, period) DO UPDATE
         SET spent_usd = spend_ledger.spent_usd + EXCLUDED.spent_usd, queries = spend_ledger.queries + EXCLUDED.queries
       RETURNING spent_usd, queries`,
      [scope, period, usd, queries],
    );
    return { spentUsd: Number(r[0].spent_usd), queries: Number(r[0].queries) };
  }
}
