import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Feedback logged by request id alone (no decision id) is found by that id: the reward-aggregator
 * checks that a release names a score it held (apps/reward-aggregator, genuineReleases).
 */
export class FeedbackLogRequest1764260000000 implements MigrationInterface {
  name = 'FeedbackLogRequest1764260000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX "IDX_feedback_log_request" ON "feedback_log" ("request_id") WHERE "decision_id" IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS "IDX_feedback_log_request"`);
  }
}
