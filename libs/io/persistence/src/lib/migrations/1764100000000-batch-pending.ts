import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * batch_pending: batch-mode queries received by the batch-planner and not yet dispatched, so
 * that the queries of open windows survive a restart (apps/batch-planner, PendingStore).
 */
export class BatchPending1764100000000 implements MigrationInterface {
  name = 'BatchPending1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "batch_pending" (
      "scope" text NOT NULL,
      "request_id" text NOT NULL,
      "query" jsonb NOT NULL,
      "received_at" timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY ("scope", "request_id"))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "batch_pending"`);
  }
}
