import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A query's prompt, kept only when the router runs with STORE_PROMPTS=true (an audit log, or a
 * training set for the preference router); pruned after RETENTION_DAYS like the other history.
 * Keyed like the decision id: (scope, request id), so that a redelivered query is stored once.
 */
@Entity('stored_prompts')
@Index('IDX_stored_prompts_stored_at', ['storedAt'])
export class StoredPromptEntity {
  @PrimaryColumn({ type: 'text' }) scope!: string;
  @PrimaryColumn({ name: 'request_id', type: 'text' }) requestId!: string;
  /** The decision that answered it; null when no model answered. */
  @Column({ name: 'decision_id', type: 'text', nullable: true }) decisionId!: string | null;
  /** The query's messages as received. */
  @Column({ type: 'jsonb' }) messages!: unknown;
  @CreateDateColumn({ name: 'stored_at', type: 'timestamptz' }) storedAt!: Date;
}
