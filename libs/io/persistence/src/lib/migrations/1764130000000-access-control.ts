import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The router's access control, shared by every router replica: API keys (their SHA-256, never
 * the key), per-minute request and token counters, budget counters with reservations, and
 * which key made each HTTP decision (so that only it may send feedback on it).
 */
export class AccessControl1764130000000 implements MigrationInterface {
  name = 'AccessControl1764130000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "api_keys" (
      "key_hash" text NOT NULL,
      "name" text NOT NULL,
      "scopes" text[] NOT NULL CHECK (cardinality("scopes") > 0),
      "budget_day_usd" double precision CHECK ("budget_day_usd" > 0),
      "budget_month_usd" double precision CHECK ("budget_month_usd" > 0),
      "rpm" integer CHECK ("rpm" > 0),
      "tpm" integer CHECK ("tpm" > 0),
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "revoked_at" timestamptz,
      PRIMARY KEY ("key_hash"))`);
    await q.query(`CREATE TABLE "rate_windows" (
      "key_hash" text NOT NULL,
      "window_start" timestamptz NOT NULL,
      "requests" integer NOT NULL DEFAULT 0,
      "tokens" bigint NOT NULL DEFAULT 0,
      PRIMARY KEY ("key_hash", "window_start"))`);
    await q.query(`CREATE TABLE "budget_counters" (
      "subject" text NOT NULL,
      "period" text NOT NULL,
      "spent_usd" double precision NOT NULL DEFAULT 0,
      "reserved_usd" double precision NOT NULL DEFAULT 0,
      PRIMARY KEY ("subject", "period"))`);
    await q.query(`CREATE TABLE "budget_reservations" (
      "id" text NOT NULL,
      "subjects" text[] NOT NULL,
      "periods" text[] NOT NULL,
      "amount_usd" double precision NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_budget_reservations_created" ON "budget_reservations" ("created_at")`);
    await q.query(`CREATE TABLE "decision_owner" (
      "decision_id" text NOT NULL,
      "request_id" text NOT NULL,
      "key_hash" text NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY ("decision_id"))`);
    await q.query(`CREATE INDEX "IDX_decision_owner_request" ON "decision_owner" ("request_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['decision_owner', 'budget_reservations', 'budget_counters', 'rate_windows', 'api_keys'])
      await q.query(`DROP TABLE IF EXISTS "${t}"`);
  }
}
