import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * batch_bills.base_usd: a batch decision's expected cost before the bills' cost level was applied,
 * what the next windows' cost level is measured against (expected_usd, which includes it, is what
 * the ledger was charged). NULL for bills filed before: their expected_usd stands in.
 */
export class BatchBillBase1764230000000 implements MigrationInterface {
  name = 'BatchBillBase1764230000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "batch_bills" ADD COLUMN "base_usd" double precision`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "batch_bills" DROP COLUMN IF EXISTS "base_usd"`);
  }
}
