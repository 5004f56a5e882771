import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** One routing decision as logged on routing.decisions: what off-policy evaluation replays. */
@Entity('decisions')
export class DecisionEntity {
  @PrimaryColumn({ name: 'decision_id', type: 'text' }) decisionId!: string;
  @Index('IDX_decisions_request_id') @Column({ name: 'request_id', type: 'text' }) requestId!: string;
  @Index('IDX_decisions_scope') @Column({ type: 'text' }) scope!: string;
  @Column({ type: 'text' }) policy!: string;
  @Column({ name: 'policy_version', type: 'integer' }) policyVersion!: number;
  @Column({ type: 'text' }) arm!: string;
  @Column({ type: 'double precision' }) propensity!: number;
  @Column({ type: 'jsonb' }) scores!: Record<string, number>;
  @Column({ type: 'jsonb', nullable: true }) features!: Record<string, number> | null;
  @Column({ name: 'text_features', type: 'jsonb', nullable: true }) textFeatures!: {
    indices: number[];
    values: number[];
  } | null;
  @Column({ name: 'price_snapshot', type: 'jsonb' }) priceSnapshot!: Record<string, number>;
  @Column({ name: 'realised_cost_usd', type: 'double precision', nullable: true }) realisedCostUsd!: number | null;
  @Column({ type: 'jsonb', nullable: true }) usage!: { promptTokens: number; completionTokens: number } | null;
  @Column({ name: 'fallback_from', type: 'text', nullable: true }) fallbackFrom!: string | null;
  @Column({ type: 'double precision' }) lambda!: number;
  @Column({ type: 'text', default: 'query' }) mode!: string;
  @Column({ name: 'batch_id', type: 'text', nullable: true }) batchId!: string | null;
  @Column({ name: 'decided_at', type: 'timestamptz' }) decidedAt!: Date;
  @Index('IDX_decisions_recorded_at')
  @CreateDateColumn({ name: 'recorded_at', type: 'timestamptz' })
  recordedAt!: Date;
}
