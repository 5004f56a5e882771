import { MigrationInterface, QueryRunner } from 'typeorm';

/** router_answers: the router's idempotency record per (scope, request id) (apps/router, AnswerStore). */
export class RouterAnswers1764120000000 implements MigrationInterface {
  name = 'RouterAnswers1764120000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "router_answers" (
      "scope" text NOT NULL,
      "request_id" text NOT NULL,
      "response" jsonb NOT NULL,
      "decision" jsonb,
      "answered_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      PRIMARY KEY ("scope", "request_id"))`);
    await q.query(`CREATE INDEX "IDX_router_answers_answered_at" ON "router_answers" ("answered_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "router_answers"`);
  }
}
