import {
  Kafka,
  Message,
  PartitionMetadata,
  Partitioners,
  Producer,
  ProducerBatch,
  ProducerRecord,
  TopicMessages,
} from 'kafkajs';
import { TopicDirectory } from './topic-directory';

/**
 * kafkajs 2.2.4 keeps, across the retries of one send, the answer of every broker that took
 * its part: after a leader change, the partitions that moved to such a broker are never sent
 * again, and send() resolves without them (kafkajs#1303, the fix proposed in #1798). An
 * acknowledged record that is not in the log is a lost query or reward. A request that holds
 * one partition goes to one broker, and its retry re-sends all of it to the new leader: so
 * every send is split by partition, and the parts go out concurrently.
 */
export type PartitionOf = (topic: string, message: Message) => number;

/**
 * The partition kafkajs's default (Java-compatible murmur2) partitioner picks for each message,
 * given the topic's partition count: records keyed by scope keep the partition index that
 * co-partitioning relies on; keyless ones go round robin.
 */
export function defaultPartitionOf(partitionCount: (topic: string) => number): PartitionOf {
  const partitioner = Partitioners.DefaultPartitioner();
  // The partitioner reads only the count (and, for keyless records, which partitions have a
  // leader): one metadata list per count, not one per message on the send path.
  const metadataByCount = new Map<number, PartitionMetadata[]>();
  const metadataOf = (n: number) => {
    let list = metadataByCount.get(n);
    if (!list) {
      list = Array.from({ length: n }, (_, partitionId) => ({
        partitionId,
        leader: 0,
        partitionErrorCode: 0,
        replicas: [],
        isr: [],
      }));
      metadataByCount.set(n, list);
    }
    return list;
  };
  return (topic, message) => {
    if (message.partition !== undefined) return message.partition;
    return partitioner({ topic, partitionMetadata: metadataOf(partitionCount(topic)), message });
  };
}

/** The same messages, one entry per (topic, partition), each message with its partition set. */
export function splitByPartition(topicMessages: readonly TopicMessages[], partitionOf: PartitionOf): TopicMessages[] {
  const parts = new Map<string, TopicMessages>();
  for (const { topic, messages } of topicMessages)
    for (const message of messages) {
      const partition = partitionOf(topic, message);
      const key = `${topic}\u0000${partition}`;
      let part = parts.get(key);
      if (!part) {
        part = { topic, messages: [] };
        parts.set(key, part);
      }
      part.messages.push({ ...message, partition });
    }
  return [...parts.values()];
}

/** producer.sendBatch, one request per partition (see above); settles when every part has. */
export async function sendBatchByPartition(
  producer: Pick<Producer, 'send'>,
  batch: ProducerBatch & { topicMessages: TopicMessages[] },
  partitionOf: PartitionOf,
): Promise<void> {
  const { topicMessages, ...options } = batch;
  const results = await Promise.allSettled(
    splitByPartition(topicMessages, partitionOf).map((part) => producer.send({ ...options, ...part })),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * A kafkajs producer whose sends go out one request per partition (for tools and tests that
 * drive the broker directly; the services' MessageProducer does the same inside).
 */
export class PartitionedProducer {
  private readonly topics: TopicDirectory;
  private readonly partitionOf: PartitionOf;

  constructor(
    kafka: Kafka,
    private readonly producer: Pick<Producer, 'send'>,
  ) {
    this.topics = new TopicDirectory(kafka);
    this.partitionOf = defaultPartitionOf((topic) => this.topics.partitionCount(topic));
  }

  async send(record: ProducerRecord): Promise<void> {
    const { topic, messages, ...options } = record;
    await this.topics.require(topic);
    await sendBatchByPartition(
      this.producer,
      { acks: -1, ...options, topicMessages: [{ topic, messages }] },
      this.partitionOf,
    );
  }

  close(): Promise<void> {
    return this.topics.close();
  }
}
