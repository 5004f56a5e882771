import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Running figures per scope and arm, for dashboards and /stats (the policy keeps its own). */
@Entity('arm_stats')
export class ArmStatsEntity {
  @PrimaryColumn({ type: 'text' }) scope!: string;
  @PrimaryColumn({ type: 'text' }) arm!: string;
  @Column({ type: 'integer', default: 0 }) pulls!: number;
  @Column({ name: 'sum_quality', type: 'double precision', default: 0 }) sumQuality!: number;
  @Column({ name: 'sum_cost', type: 'double precision', default: 0 }) sumCost!: number;
  @Column({ name: 'sum_reward', type: 'double precision', default: 0 }) sumReward!: number;
}
