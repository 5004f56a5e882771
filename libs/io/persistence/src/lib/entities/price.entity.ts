import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Every accepted price, append-only: the price history. */
@Entity('price_history')
export class PriceEntity {
  @PrimaryGeneratedColumn() id!: number;
  @Index('IDX_price_history_model') @Column({ type: 'text' }) model!: string;
  @Column({ name: 'input_per_m', type: 'double precision' }) inputPerM!: number;
  @Column({ name: 'output_per_m', type: 'double precision' }) outputPerM!: number;
  @Column({ name: 'effective_from', type: 'timestamptz' }) effectiveFrom!: Date;
  @Column({ type: 'text' }) source!: string;
  @Column({ name: 'self_hosted', type: 'boolean', default: false }) selfHosted!: boolean;
  @Column({ type: 'integer', nullable: true }) concurrency!: number | null;
  @Column({ name: 'discount_tiers', type: 'jsonb', default: () => "'[]'" }) discountTiers!: unknown;
  /** PriceEvent.costFactor (price-cut scenarios); null when the price has none. */
  @Column({ name: 'cost_factor', type: 'double precision', nullable: true }) costFactor!: number | null;
  @Index('IDX_price_history_recorded_at')
  @CreateDateColumn({ name: 'recorded_at', type: 'timestamptz' })
  recordedAt!: Date;
}
