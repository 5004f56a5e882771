import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Feedback whose decision has not been seen yet. Keyed by what it names (decision id, or
 * request id), so a duplicate that arrives before its decision collapses into one row.
 */
@Entity('pending_feedback')
export class PendingFeedbackEntity {
  /** `d:<decisionId>` or `r:<requestId>`. */
  @PrimaryColumn({ name: 'match_key', type: 'text' }) matchKey!: string;
  @Column({ type: 'text', nullable: true }) scope!: string | null;
  @Column({ type: 'double precision' }) quality!: number;
  @Column({ name: 'cost_usd', type: 'double precision', nullable: true }) costUsd!: number | null;
  @Column({ type: 'text' }) source!: string;
  @Index('IDX_pending_feedback_expires_at') @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @Index('IDX_pending_feedback_received_at')
  @CreateDateColumn({ name: 'received_at', type: 'timestamptz' })
  receivedAt!: Date;
}
