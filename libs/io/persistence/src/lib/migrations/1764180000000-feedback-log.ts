import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every feedback the aggregator receives, of every source, kept whether or not it became the
 * decision's reward: the ledger of who said what. Judge and heuristic scores wait here
 * (state 'held') until client feedback arrives or FEEDBACK_GRACE_S passes; pairwise
 * preferences are kept here too. The rewards table still holds the one reward per decision.
 */
export class FeedbackLog1764180000000 implements MigrationInterface {
  name = 'FeedbackLog1764180000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "feedback_log" (
      "id" bigserial PRIMARY KEY,
      "kind" text NOT NULL,
      "source" text NOT NULL,
      "scope" text,
      "decision_id" text,
      "request_id" text,
      "quality" double precision,
      "cost_usd" double precision,
      "evaluation_cost_usd" double precision,
      "winner_decision_id" text,
      "loser_decision_id" text,
      "state" text NOT NULL,
      "given_at" timestamptz NOT NULL,
      "received_at" timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX "IDX_feedback_log_decision" ON "feedback_log" ("decision_id")`);
    await q.query(`CREATE INDEX "IDX_feedback_log_held" ON "feedback_log" ("received_at") WHERE "state" = 'held'`);
    // The retention sweep's age index (docs/decisions/0022).
    await q.query(`CREATE INDEX "IDX_feedback_log_received_at" ON "feedback_log" ("received_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "feedback_log"`);
  }
}
