import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the aggregator's retention sweep (docs/decisions/0022-data-lifecycle.md) finds old rows
 * by: an index on each pruned table's age column, so a sweep reads only what it deletes. A bill
 * had no age: it gets one, and bills filed before this migration count from its run.
 */
export class RetentionIndexes1764160000000 implements MigrationInterface {
  name = 'RetentionIndexes1764160000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "batch_bills" ADD COLUMN "recorded_at" timestamptz NOT NULL DEFAULT now()`);
    for (const [table, column] of RETENTION_INDEXES)
      await q.query(`CREATE INDEX "IDX_${table}_${column}" ON "${table}" ("${column}")`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, column] of RETENTION_INDEXES) await q.query(`DROP INDEX IF EXISTS "IDX_${table}_${column}"`);
    await q.query(`ALTER TABLE "batch_bills" DROP COLUMN IF EXISTS "recorded_at"`);
  }
}

// router_answers.answered_at is indexed since its own migration.
const RETENTION_INDEXES: [table: string, column: string][] = [
  ['decisions', 'recorded_at'],
  ['rewards', 'applied_at'],
  ['pending_feedback', 'received_at'],
  ['batch_bills', 'recorded_at'],
  ['price_history', 'recorded_at'],
];
