import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * batch_residuals: per scope, the batch-planner's recent-residual correction and the calls whose
 * reward it awaits (apps/batch-planner, ResidualStore), so that a restarted planner goes on
 * correcting its windows where the last one stopped.
 */
export class BatchResiduals1764240000000 implements MigrationInterface {
  name = 'BatchResiduals1764240000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "batch_residuals" (
      "scope" text PRIMARY KEY,
      "state" jsonb NOT NULL,
      "updated_at" timestamptz NOT NULL DEFAULT now())`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "batch_residuals"`);
  }
}
