import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';

/** Where a record with a given key sits in a topic, and how far a consumer group had committed there. */
export interface TopicHit {
  topic: string;
  partition: number;
  offset: string;
  /** The group's committed offset on that partition (the next record it would read); null without a group. */
  committed: string | null;
}

/**
 * Reads a topic from its start to its current end and returns where the records with these keys
 * are: a lost query either never reached llm.queries (the produce was acknowledged but the log
 * does not have it) or is there and the consumer group committed past it without answering it.
 */
export async function findKeysInTopic(
  kafka: Kafka,
  topic: string,
  keys: readonly string[],
  groupId?: string,
  timeoutMs = 60_000,
): Promise<Map<string, TopicHit[]>> {
  const hits = new Map<string, TopicHit[]>();
  if (keys.length === 0) return hits;
  const wanted = new Set(keys);
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  const committed = new Map<number, string>();
  try {
    ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
    if (groupId)
      for (const t of await admin.fetchOffsets({ groupId, topics: [topic] }))
        for (const p of t.partitions) committed.set(p.partition, p.offset);
  } finally {
    await admin.disconnect();
  }
  const remaining = new Set([...ends].filter(([, high]) => high > 0n).map(([p]) => p));
  if (remaining.size === 0) return hits;
  const consumer = kafka.consumer({ groupId: `chaos-trace-${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            const key = m.key?.toString('utf8');
            if (key && wanted.has(key)) {
              const list = hits.get(key) ?? [];
              list.push({
                topic,
                partition: batch.partition,
                offset: m.offset,
                committed: committed.get(batch.partition) ?? null,
              });
              hits.set(key, list);
            }
            if (BigInt(m.offset) + 1n >= ends.get(batch.partition)!) remaining.delete(batch.partition);
          }
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return hits;
}
