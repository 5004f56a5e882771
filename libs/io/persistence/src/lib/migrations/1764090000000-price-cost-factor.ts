import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * price_history.cost_factor: the PriceEvent.costFactor multiplier (price-cut scenarios), so that
 * the price-watcher reloads it after a restart. Null = no factor (rows written before it existed).
 */
export class PriceCostFactor1764090000000 implements MigrationInterface {
  name = 'PriceCostFactor1764090000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "price_history" ADD COLUMN "cost_factor" double precision`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "price_history" DROP COLUMN "cost_factor"`);
  }
}
