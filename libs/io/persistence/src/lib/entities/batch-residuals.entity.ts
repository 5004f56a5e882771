import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * A scope's recent-residual correction in the batch-planner (WindowResiduals as JSON): written
 * after each round of a window is sent, read when a restarted planner plans its first window.
 */
@Entity('batch_residuals')
export class BatchResidualsEntity {
  @PrimaryColumn({ type: 'text' }) scope!: string;
  /** WindowResidualsState, checked again when read. */
  @Column({ type: 'jsonb' }) state!: unknown;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
