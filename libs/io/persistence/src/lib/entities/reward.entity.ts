import { Column, Entity, Generated, Index, PrimaryColumn } from 'typeorm';

/** The reward ledger: one row per decision, ever. The primary key is what forbids double counting. */
@Entity('rewards')
@Index('IDX_rewards_scope_seq', ['scope', 'seq'])
export class RewardEntity {
  @PrimaryColumn({ name: 'decision_id', type: 'text' }) decisionId!: string;
  @Index('IDX_rewards_scope') @Column({ type: 'text' }) scope!: string;
  @Column({ type: 'text' }) arm!: string;
  @Column({ type: 'double precision' }) quality!: number;
  @Column({ name: 'cost_usd', type: 'double precision' }) costUsd!: number;
  @Column({ type: 'double precision' }) lambda!: number;
  @Column({ type: 'double precision' }) reward!: number;
  @Column({ type: 'text' }) source!: string;
  @Index('IDX_rewards_applied_at') @Column({ name: 'applied_at', type: 'timestamptz' }) appliedAt!: Date;
  /** Order of application (bigserial): what a restart replays after a policy checkpoint. */
  @Column({ type: 'bigint' })
  @Generated('increment')
  seq!: string;
}
