import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One requested switch of a scope's policy, passed or refused, with the off-policy figures it
 * was judged on (SNIPS and DR against the current policy's logged value).
 */
@Entity('policy_switches')
export class PolicySwitchEntity {
  @PrimaryGeneratedColumn() id!: number;
  @Index('IDX_policy_switches_scope') @Column({ type: 'text' }) scope!: string;
  /** The policy in place when the switch was asked for (null: the scope had no stored state). */
  @Column({ name: 'from_algorithm', type: 'text', nullable: true }) fromAlgorithm!: string | null;
  @Column({ name: 'from_version', type: 'integer', nullable: true }) fromVersion!: number | null;
  @Column({ name: 'to_algorithm', type: 'text' }) toAlgorithm!: string;
  @Column({ name: 'to_options', type: 'jsonb', default: () => "'{}'" }) toOptions!: Record<string, unknown>;
  @Column({ type: 'boolean' }) passed!: boolean;
  @Column({ type: 'text' }) reason!: string;
  @Column({ type: 'jsonb' }) figures!: unknown;
  /** Version of policy_state the switch wrote (null when refused). */
  @Column({ name: 'new_version', type: 'integer', nullable: true }) newVersion!: number | null;
  @CreateDateColumn({ name: 'requested_at', type: 'timestamptz' }) requestedAt!: Date;
}
