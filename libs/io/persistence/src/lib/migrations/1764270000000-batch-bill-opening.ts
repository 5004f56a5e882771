import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * batch_bills.opening: the opening phrase of the decision's prompt (libs/core/batch `promptKind`),
 * so that prompts which share an instruction but not an ending are priced as one kind
 * (docs/decisions/0055). NULL for bills filed before: they price their closing phrase only.
 */
export class BatchBillOpening1764270000000 implements MigrationInterface {
  name = 'BatchBillOpening1764270000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "batch_bills" ADD COLUMN "opening" text`);
    await q.query(
      `CREATE INDEX "IDX_batch_bills_scope_period_opening" ON "batch_bills" ("scope", "period", "opening")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS "IDX_batch_bills_scope_period_opening"`);
    await q.query(`ALTER TABLE "batch_bills" DROP COLUMN IF EXISTS "opening"`);
  }
}
