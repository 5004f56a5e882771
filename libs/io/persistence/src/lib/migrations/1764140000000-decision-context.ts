import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a decision used and what it cost, kept with it: the text-derived features (so late
 * feedback learns from exactly the context decided on), the realised cost and usage of the
 * call that answered, and the arm a fallback replaced (not the policy's own choice, for OPE).
 */
export class DecisionContext1764140000000 implements MigrationInterface {
  name = 'DecisionContext1764140000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "decisions" ADD COLUMN "text_features" jsonb`);
    await q.query(`ALTER TABLE "decisions" ADD COLUMN "realised_cost_usd" double precision`);
    await q.query(`ALTER TABLE "decisions" ADD COLUMN "usage" jsonb`);
    await q.query(`ALTER TABLE "decisions" ADD COLUMN "fallback_from" text`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const c of ['text_features', 'realised_cost_usd', 'usage', 'fallback_from'])
      await q.query(`ALTER TABLE "decisions" DROP COLUMN IF EXISTS "${c}"`);
  }
}
