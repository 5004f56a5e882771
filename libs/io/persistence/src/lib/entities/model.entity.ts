import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** The model catalog: which arms exist and may be routed to. */
@Entity('models')
export class ModelEntity {
  @PrimaryColumn({ type: 'text' }) model!: string;
  @Column({ type: 'text' }) status!: 'enabled' | 'disabled' | 'removed';
  @Column({ type: 'text', nullable: true }) endpoint!: string | null;
  @Column({ type: 'integer', nullable: true }) concurrency!: number | null;
  @Column({ name: 'self_hosted', type: 'boolean', default: false }) selfHosted!: boolean;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
