import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Next offset to consume, stored in the same transaction as the state it produced: on
 * restart a consumer seeks here, so each message takes effect exactly once.
 */
@Entity('consumer_offsets')
export class ConsumerOffsetEntity {
  @PrimaryColumn({ name: 'group_id', type: 'text' }) groupId!: string;
  @PrimaryColumn({ type: 'text' }) topic!: string;
  @PrimaryColumn({ type: 'integer' }) partition!: number;
  @Column({ name: 'next_offset', type: 'bigint' }) nextOffset!: string;
}
