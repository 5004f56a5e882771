import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * router_answers keeps each answer as the JSON text the router wrote (json, not jsonb) and
 * uncompressed (storage EXTERNAL): nothing ever queries inside an answer, it is only read back
 * whole when a query is redelivered, while converting every answer to jsonb and compressing it
 * was most of the database's CPU per query (pg_stat_statements in the e2e backlog).
 */
export class RouterAnswersJson1764220000000 implements MigrationInterface {
  name = 'RouterAnswersJson1764220000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "router_answers"
      ALTER COLUMN "response" TYPE json USING "response"::json,
      ALTER COLUMN "decision" TYPE json USING "decision"::json`);
    await q.query(`ALTER TABLE "router_answers"
      ALTER COLUMN "response" SET STORAGE EXTERNAL,
      ALTER COLUMN "decision" SET STORAGE EXTERNAL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "router_answers"
      ALTER COLUMN "response" SET STORAGE EXTENDED,
      ALTER COLUMN "decision" SET STORAGE EXTENDED`);
    await q.query(`ALTER TABLE "router_answers"
      ALTER COLUMN "response" TYPE jsonb USING "response"::jsonb,
      ALTER COLUMN "decision" TYPE jsonb USING "decision"::jsonb`);
  }
}
