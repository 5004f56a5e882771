import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A budget reservation row may hold the calls booked by one statement together (a router's
 * batch of queries): `members` counts those not settled yet, and the row goes with the last of
 * them. Rows written before this migration hold one call each, which is what the default says.
 */
export class GroupedReservations1764210000000 implements MigrationInterface {
  name = 'GroupedReservations1764210000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "budget_reservations" ADD COLUMN "members" integer NOT NULL DEFAULT 1`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "budget_reservations" DROP COLUMN IF EXISTS "members"`);
  }
}
