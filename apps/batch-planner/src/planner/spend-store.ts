import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SpendEntity } from '@llm-router/persistence';

export interface SpendRow {
  spentUsd: number;
  queries: number;
}

/** The budget ledger in Postgres (spend_ledger): what each scope has committed per period. */
@Injectable()
export class SpendStore {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async read(scope: string, period: string): Promise<SpendRow> {
    const row = await this.ds.getRepository(SpendEntity).findOneBy({ scope, period });
    return { spentUsd: row?.spentUsd ?? 0, queries: row?.queries ?? 0 };
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
