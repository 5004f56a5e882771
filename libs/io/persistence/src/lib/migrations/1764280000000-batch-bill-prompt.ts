import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * batch_bills.prompt: the digest of the decision's prompt (libs/core/batch `promptDigest`), so that
 * a query already routed, or a prompt sent again, is priced on its own bills (docs/decisions/0064).
 * NULL for bills filed before: they price their kinds only.
 */
export class BatchBillPrompt1764280000000 implements MigrationInterface {
  name = 'BatchBillPrompt1764280000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "batch_bills" ADD COLUMN "prompt" text`);
    await q.query(`CREATE INDEX "IDX_batch_bills_scope_period_prompt" ON "batch_bills" ("scope", "period", "prompt")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS "IDX_batch_bills_scope_period_prompt"`);
    await q.query(`ALTER TABLE "batch_bills" DROP COLUMN IF EXISTS "prompt"`);
  }
}
