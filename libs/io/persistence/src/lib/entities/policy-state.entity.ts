import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** THE policy of one scope: serialised sufficient statistics, written by a single aggregator. */
@Entity('policy_state')
export class PolicyStateEntity {
  @PrimaryColumn({ type: 'text' }) scope!: string;
  @Column({ type: 'text' }) algorithm!: string;
  @Column({ type: 'integer' }) version!: number;
  @Column({ type: 'jsonb' }) state!: unknown;
  /** The last rewards.seq learned into `state` (a checkpoint): later rewards are replayed onto it on load. */
  @Column({ name: 'state_seq', type: 'bigint', default: 0 }) stateSeq!: string;
  @Column({ type: 'double precision' }) lambda!: number;
  @Column({ type: 'jsonb', nullable: true }) pacer!: unknown;
  @Column({ name: 'rewards_applied', type: 'integer', default: 0 }) rewardsApplied!: number;
  @Column({ name: 'cumulative_reward', type: 'double precision', default: 0 }) cumulativeReward!: number;
  @Column({ name: 'cumulative_cost_usd', type: 'double precision', default: 0 }) cumulativeCostUsd!: number;
  @Column({ name: 'reward_sum_sq', type: 'double precision', default: 0 }) rewardSumSq!: number;
  @Column({ name: 'expired_feedback', type: 'integer', default: 0 }) expiredFeedback!: number;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
