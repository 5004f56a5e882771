import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The router's answer to one query (its idempotency record): a query re-delivered by Kafka
 * (a crash or a rebalance before the offset commit, or the same message produced twice) is
 * answered from here, with the same decision and model, instead of calling a model again.
 * Keyed like the decision id: (scope, request id).
 */
@Entity('router_answers')
@Index('IDX_router_answers_answered_at', ['answeredAt'])
export class RouterAnswerEntity {
  @PrimaryColumn({ type: 'text' }) scope!: string;
  @PrimaryColumn({ name: 'request_id', type: 'text' }) requestId!: string;
  /** The RoutedResponse as first produced (json: kept as written, never queried inside; migration 1764220000000). */
  @Column({ type: 'json' }) response!: unknown;
  /** The DecisionEvent, or null when no model answered (every call failed, deadline passed). */
  @Column({ type: 'json', nullable: true }) decision!: unknown;
  @CreateDateColumn({ name: 'answered_at', type: 'timestamptz' }) answeredAt!: Date;
}
