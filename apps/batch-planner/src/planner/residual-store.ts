import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/**
 * batch_residuals in Postgres: each scope's recent-residual correction (WindowResiduals as JSON),
 * so that a restarted planner corrects its next window as the last one would have, and reads the
 * rewards of the calls that one sent.
 */
@Injectable()
export class ResidualStore {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** The scope's stored state, unchecked (WindowResiduals.restore checks it); undefined = none. */
  async load(scope: string): Promise<unknown> {
    const rows: { state: unknown }[] = await this.ds.query(`SELECT state FROM batch_residuals WHERE scope = $1`, [
      scope,
    ]);
    return rows[0]?.state;
  }

  async save(scope: string, state: unknown): Promise<void> {
    await this.ds.query(
      `INSERT INTO batch_residuals (scope, state, updated_at) VALUES ($1, $2::jsonb, now())
       ON CONFLICT (scope) DO UPDATE SET state = EXCLUDED.state, updated_at = now()`,
      [scope, JSON.stringify(state)],
    );
  }
}
