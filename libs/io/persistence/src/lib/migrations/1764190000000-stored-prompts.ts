import { MigrationInterface, QueryRunner } from 'typeorm';

/** stored_prompts: prompts kept with STORE_PROMPTS=true (docs/decisions/0022-data-lifecycle.md). */
export class StoredPrompts1764190000000 implements MigrationInterface {
  name = 'StoredPrompts1764190000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "stored_prompts" (
      "scope" text NOT NULL,
      "request_id" text NOT NULL,
      "decision_id" text,
      "messages" jsonb NOT NULL,
      "stored_at" timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY ("scope", "request_id"))`);
    await q.query(`CREATE INDEX "IDX_stored_prompts_stored_at" ON "stored_prompts" ("stored_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "stored_prompts"`);
  }
}
