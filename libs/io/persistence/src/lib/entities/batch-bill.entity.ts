import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * What the batch-planner expected one dispatched batch decision to cost, filed under the budget
 * period whose spend_ledger row holds it. Joined with the reward ledger (same decision id), it
 * says how far the bills that came back are from what the ledger was charged.
 */
@Entity('batch_bills')
@Index('IDX_batch_bills_scope_period', ['scope', 'period'])
@Index('IDX_batch_bills_scope_period_closing', ['scope', 'period', 'closing'])
@Index('IDX_batch_bills_scope_period_opening', ['scope', 'period', 'opening'])
@Index('IDX_batch_bills_scope_period_prompt', ['scope', 'period', 'prompt'])
export class BatchBillEntity {
  @PrimaryColumn({ name: 'decision_id', type: 'text' }) decisionId!: string;
  @Column({ type: 'text' }) scope!: string;
  @Column({ type: 'text' }) period!: string;
  @Column({ type: 'text' }) model!: string;
  @Column({ name: 'expected_usd', type: 'double precision' }) expectedUsd!: number;
  /**
   * The expected cost before the cost level of the period's bills was applied: the next windows'
   * level is realised over this (expected_usd includes the level it corrects). NULL: filed before.
   */
  @Column({ name: 'base_usd', type: 'double precision', nullable: true }) baseUsd!: number | null;
  /** Closing phrase of its prompt (libs/core/batch `promptKind`): the kind its bill prices. NULL: filed before. */
  @Column({ type: 'text', nullable: true }) closing!: string | null;
  /** Opening phrase of its prompt (libs/core/batch `promptKind`): the kind it prices where no other prompt ends alike. NULL: filed before. */
  @Column({ type: 'text', nullable: true }) opening!: string | null;
  /** Digest of its prompt (libs/core/batch `promptDigest`): the bill prices that prompt again. NULL: filed before. */
  @Column({ type: 'text', nullable: true }) prompt!: string | null;
  /** When it was filed: the retention sweep prunes bills by it. */
  @Index('IDX_batch_bills_recorded_at')
  @CreateDateColumn({ name: 'recorded_at', type: 'timestamptz' })
  recordedAt!: Date;
}
