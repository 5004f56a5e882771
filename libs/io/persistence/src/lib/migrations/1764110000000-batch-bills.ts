import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * batch_bills: the batch-planner's expected cost of each dispatched batch decision, so that the
 * budget ledger can be corrected by the bills that come back (apps/batch-planner, SpendStore).
 */
export class BatchBills1764110000000 implements MigrationInterface {
  name = 'BatchBills1764110000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "batch_bills" (
      "decision_id" text NOT NULL,
      "scope" text NOT NULL,
      "period" text NOT NULL,
      "model" text NOT NULL,
      "expected_usd" double precision NOT NULL,
      PRIMARY KEY ("decision_id"))`);
    await q.query(`CREATE INDEX "IDX_batch_bills_scope_period" ON "batch_bills" ("scope", "period")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "batch_bills"`);
  }
}
