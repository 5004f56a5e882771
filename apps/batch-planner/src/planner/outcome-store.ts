import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** The rewards of dispatched batch decisions, as the aggregator recorded them (table rewards). */
@Injectable()
export class OutcomeStore {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** The judged quality of each of these decisions that has been rewarded so far. */
  async qualities(decisionIds: readonly string[]): Promise<Map<string, number>> {
    if (decisionIds.length === 0) return new Map();
    const rows: { decision_id: string; quality: number }[] = await this.ds.query(
      `SELECT decision_id, quality FROM rewards WHERE decision_id = ANY($1::text[])`,
      [decisionIds],
    );
    return new Map(rows.map((r) => [r.decision_id, Number(r.quality)]));
  }
}
