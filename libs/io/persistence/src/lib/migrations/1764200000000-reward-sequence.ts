import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The order in which rewards were applied (rewards.seq), and how far each scope's stored
 * policy state has got in it (policy_state.state_seq): the aggregator checkpoints the large
 * state only now and then, and rebuilds it after a restart from the checkpoint plus the
 * rewards after state_seq, in seq order (docs/decisions/0018). Rows written before this
 * migration were all learned into their scope's stored state, which is what state_seq says.
 */
export class RewardSequence1764200000000 implements MigrationInterface {
  name = 'RewardSequence1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "rewards" ADD COLUMN "seq" bigserial`);
    await q.query(`CREATE INDEX "IDX_rewards_scope_seq" ON "rewards" ("scope", "seq")`);
    await q.query(`ALTER TABLE "policy_state" ADD COLUMN "state_seq" bigint NOT NULL DEFAULT 0`);
    await q.query(`UPDATE "policy_state" SET "state_seq" = (SELECT coalesce(max("seq"), 0) FROM "rewards")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "policy_state" DROP COLUMN IF EXISTS "state_seq"`);
    await q.query(`DROP INDEX IF EXISTS "IDX_rewards_scope_seq"`);
    await q.query(`ALTER TABLE "rewards" DROP COLUMN IF EXISTS "seq"`);
  }
}
