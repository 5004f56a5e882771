import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * policy_switches: every requested switch of a scope's policy with the off-policy figures it
 * was judged on, passed or refused (docs/decisions/0016).
 */
export class PolicySwitches1764150000000 implements MigrationInterface {
  name = 'PolicySwitches1764150000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "policy_switches" (
      "id" SERIAL PRIMARY KEY,
      "scope" text NOT NULL,
      "from_algorithm" text,
      "from_version" integer,
      "to_algorithm" text NOT NULL,
      "to_options" jsonb NOT NULL DEFAULT '{}',
      "passed" boolean NOT NULL,
      "reason" text NOT NULL,
      "figures" jsonb NOT NULL,
      "new_version" integer,
      "requested_at" timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX "IDX_policy_switches_scope" ON "policy_switches" ("scope")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "policy_switches"`);
  }
}
