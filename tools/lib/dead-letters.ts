import type { Kafka } from 'kafkajs';
import { dlqTopic } from '@llm-router/contracts';

/**
 * Records on every dead-letter topic of the cluster. The e2e and chaos runs use a broker or scope
 * of their own, so every dead letter there is the run's.
 */
export async function deadLetterCount(kafka: Kafka): Promise<number> {
  const suffix = dlqTopic('');
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.endsWith(suffix));
    let n = 0;
    for (const t of topics) for (const p of await admin.fetchTopicOffsets(t)) n += Number(p.high) - Number(p.low);
    return n;
  } finally {
    await admin.disconnect();
  }
}
