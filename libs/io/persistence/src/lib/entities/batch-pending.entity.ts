import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * A batch-mode query the batch-planner has received and not dispatched yet (it waits in an
 * open window). Written before batch.requests' offset is committed and deleted once its window
 * is dispatched, so a planner that dies with open windows reloads them at start. Keyed like the
 * router's decision id (scope + request id), so a re-delivered query collapses into one row.
 */
@Entity('batch_pending')
export class BatchPendingEntity {
  @PrimaryColumn({ type: 'text' }) scope!: string;
  @PrimaryColumn({ name: 'request_id', type: 'text' }) requestId!: string;
  /** The QueryRequest as received (validated), re-validated when reloaded. */
  @Column({ type: 'jsonb' }) query!: unknown;
  /** When the planner received it: windows are reloaded oldest first and reopened at the oldest's time. */
  @CreateDateColumn({ name: 'received_at', type: 'timestamptz' }) receivedAt!: Date;
}
