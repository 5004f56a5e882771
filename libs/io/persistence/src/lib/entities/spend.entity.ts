import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Spend per scope and budget period (e.g. `2026-11-25` or `2026-11`): the budget ledger. */
@Entity('spend_ledger')
export class SpendEntity {
  @PrimaryColumn({ type: 'text' }) scope!: string;
  @PrimaryColumn({ type: 'text' }) period!: string;
  @Column({ name: 'spent_usd', type: 'double precision', default: 0 }) spentUsd!: number;
  @Column({ type: 'integer', default: 0 }) queries!: number;
}
