import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * batch_bills.closing: the closing phrase of the decision's prompt (libs/core/batch
 * `closingPhrase`), so that the planner prices a window per kind of prompt from the bills of the
 * period (KindLedger, docs/decisions/0050). NULL for bills filed before: they price no kind.
 */
export class BatchBillClosing1764250000000 implements MigrationInterface {
  name = 'BatchBillClosing1764250000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "batch_bills" ADD COLUMN "closing" text`);
    await q.query(
      `CREATE INDEX "IDX_batch_bills_scope_period_closing" ON "batch_bills" ("scope", "period", "closing")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS "IDX_batch_bills_scope_period_closing"`);
    await q.query(`ALTER TABLE "batch_bills" DROP COLUMN IF EXISTS "closing"`);
  }
}
