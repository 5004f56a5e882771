import { EntityManager } from 'typeorm';
import { ConsumerOffsetEntity } from './entities';

/** Consumer offsets kept in Postgres beside the state they produced (exactly-once effect). */
export class OffsetStore {
  /** Next offsets of a consumer group, keyed `${topic}:${partition}`. */
  static async load(em: EntityManager, groupId: string): Promise<Map<string, string>> {
    const rows = await em.find(ConsumerOffsetEntity, { where: { groupId } });
    return new Map(rows.map((r) => [`${r.topic}:${r.partition}`, String(r.nextOffset)]));
  }

  /** Records, inside the caller's transaction, that everything before `nextOffset` took effect. */
  static async save(
    em: EntityManager,
    groupId: string,
    topic: string,
    partition: number,
    nextOffset: string,
  ): Promise<void> {
    await em.query(
      `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
       ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = GREATEST(consumer_offsets.next_offset, EXCLUDED.next_offset)`,
      [groupId, topic, partition, nextOffset],
    );
  }
}
