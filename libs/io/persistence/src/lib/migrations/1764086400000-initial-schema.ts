import { MigrationInterface, QueryRunner } from 'typeorm';

/** The first schema. Hand-written so that production never relies on `synchronize`. */
export class InitialSchema1764086400000 implements MigrationInterface {
  name = 'InitialSchema1764086400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "decisions" (
      "decision_id" text PRIMARY KEY,
      "request_id" text NOT NULL,
      "scope" text NOT NULL,
      "policy" text NOT NULL,
      "policy_version" integer NOT NULL,
      "arm" text NOT NULL,
      "propensity" double precision NOT NULL,
      "scores" jsonb NOT NULL,
      "features" jsonb,
      "price_snapshot" jsonb NOT NULL,
      "lambda" double precision NOT NULL,
      "mode" text NOT NULL DEFAULT 'query',
      "batch_id" text,
      "decided_at" timestamptz NOT NULL,
      "recorded_at" timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX "IDX_decisions_request_id" ON "decisions" ("request_id")`);
    await q.query(`CREATE INDEX "IDX_decisions_scope" ON "decisions" ("scope")`);

    await q.query(`CREATE TABLE "pending_feedback" (
      "match_key" text PRIMARY KEY,
      "scope" text,
      "quality" double precision NOT NULL,
      "cost_usd" double precision,
      "source" text NOT NULL,
      "expires_at" timestamptz NOT NULL,
      "received_at" timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX "IDX_pending_feedback_expires_at" ON "pending_feedback" ("expires_at")`);

    await q.query(`CREATE TABLE "rewards" (
      "decision_id" text PRIMARY KEY,
      "scope" text NOT NULL,
      "arm" text NOT NULL,
      "quality" double precision NOT NULL,
      "cost_usd" double precision NOT NULL,
      "lambda" double precision NOT NULL,
      "reward" double precision NOT NULL,
      "source" text NOT NULL,
      "applied_at" timestamptz NOT NULL)`);
    await q.query(`CREATE INDEX "IDX_rewards_scope" ON "rewards" ("scope")`);

    await q.query(`CREATE TABLE "policy_state" (
      "scope" text PRIMARY KEY,
      "algorithm" text NOT NULL,
      "version" integer NOT NULL,
      "state" jsonb NOT NULL,
      "lambda" double precision NOT NULL,
      "pacer" jsonb,
      "rewards_applied" integer NOT NULL DEFAULT 0,
      "cumulative_reward" double precision NOT NULL DEFAULT 0,
      "cumulative_cost_usd" double precision NOT NULL DEFAULT 0,
      "reward_sum_sq" double precision NOT NULL DEFAULT 0,
      "expired_feedback" integer NOT NULL DEFAULT 0,
      "updated_at" timestamptz NOT NULL DEFAULT now())`);

    await q.query(`CREATE TABLE "arm_stats" (
      "scope" text NOT NULL,
      "arm" text NOT NULL,
      "pulls" integer NOT NULL DEFAULT 0,
      "sum_quality" double precision NOT NULL DEFAULT 0,
      "sum_cost" double precision NOT NULL DEFAULT 0,
      "sum_reward" double precision NOT NULL DEFAULT 0,
      PRIMARY KEY ("scope", "arm"))`);

    await q.query(`CREATE TABLE "consumer_offsets" (
      "group_id" text NOT NULL,
      "topic" text NOT NULL,
      "partition" integer NOT NULL,
      "next_offset" bigint NOT NULL,
      PRIMARY KEY ("group_id", "topic", "partition"))`);

    await q.query(`CREATE TABLE "price_history" (
      "id" SERIAL PRIMARY KEY,
      "model" text NOT NULL,
      "input_per_m" double precision NOT NULL,
      "output_per_m" double precision NOT NULL,
      "effective_from" timestamptz NOT NULL,
      "source" text NOT NULL,
      "self_hosted" boolean NOT NULL DEFAULT false,
      "concurrency" integer,
      "discount_tiers" jsonb NOT NULL DEFAULT '[]',
      "recorded_at" timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX "IDX_price_history_model" ON "price_history" ("model")`);

    await q.query(`CREATE TABLE "models" (
      "model" text PRIMARY KEY,
      "status" text NOT NULL,
      "endpoint" text,
      "concurrency" integer,
      "self_hosted" boolean NOT NULL DEFAULT false,
      "updated_at" timestamptz NOT NULL DEFAULT now())`);

    await q.query(`CREATE TABLE "spend_ledger" (
      "scope" text NOT NULL,
      "period" text NOT NULL,
      "spent_usd" double precision NOT NULL DEFAULT 0,
      "queries" integer NOT NULL DEFAULT 0,
      PRIMARY KEY ("scope", "period"))`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'spend_ledger',
      'models',
      'price_history',
      'consumer_offsets',
      'arm_stats',
      'policy_state',
      'rewards',
      'pending_feedback',
      'decisions',
    ]) {
      await q.query(`DROP TABLE IF EXISTS "${t}"`);
    }
  }
}
