/** Every Kafka topic of the system, in one place. Services never spell a topic name by hand. */
export const Topic = {
  Queries: 'llm.queries',
  Responses: 'llm.responses',
  Decisions: 'routing.decisions',
  Feedback: 'feedback.rewards',
  Prices: 'model.prices',
  Catalog: 'model.catalog',
  PolicyUpdates: 'policy.updates',
  ParetoFrontier: 'pareto.frontier',
  RewardStream: 'reward.stream',
  BatchRequests: 'batch.requests',
  BatchAssignments: 'batch.assignments',
} as const;

export type TopicName = (typeof Topic)[keyof typeof Topic];

export interface TopicSpec {
  name: TopicName;
  /** Partition count used when the topic is created (tests may cap it). */
  partitions: number;
  /** Compacted topics keep the last value per key: state, not history. */
  compacted: boolean;
  /** What the record key is; ordering is per key. */
  key: string;
  /** Largest record the topic accepts, when above the broker's 1 MiB default. */
  maxMessageBytes?: number;
}

/**
 * A linear policy's snapshot grows with k x d^2 (about 1.3 MB of JSON for k=16, d=64), above
 * Kafka's 1 MiB default; its topic and its consumers allow this much.
 */
export const POLICY_SNAPSHOT_MAX_BYTES = 16 * 1024 * 1024;

export const TOPIC_SPECS: readonly TopicSpec[] = [
  { name: Topic.Queries, partitions: 6, compacted: false, key: 'request id' },
  { name: Topic.Responses, partitions: 6, compacted: false, key: 'request id' },
  { name: Topic.Decisions, partitions: 6, compacted: false, key: 'scope' },
  { name: Topic.Feedback, partitions: 6, compacted: false, key: 'scope' },
  { name: Topic.Prices, partitions: 1, compacted: true, key: 'model id' },
  { name: Topic.Catalog, partitions: 1, compacted: true, key: 'model id' },
  {
    name: Topic.PolicyUpdates,
    partitions: 3,
    compacted: true,
    key: 'scope',
    maxMessageBytes: POLICY_SNAPSHOT_MAX_BYTES,
  },
  { name: Topic.ParetoFrontier, partitions: 1, compacted: true, key: 'scope' },
  { name: Topic.RewardStream, partitions: 3, compacted: false, key: 'scope' },
  { name: Topic.BatchRequests, partitions: 3, compacted: false, key: 'request id' },
  { name: Topic.BatchAssignments, partitions: 3, compacted: false, key: 'batch id' },
];

/** Poison messages of topic T are parked on `${T}.dlq` with the reason; nothing is dropped. */
export const dlqTopic = (topic: string): string => `${topic}.dlq`;

/** Every topic, dead-letter topics included, for up-front creation. */
export function allTopics(): { name: string; partitions: number; compacted: boolean; maxMessageBytes?: number }[] {
  return TOPIC_SPECS.flatMap((t) => [
    { name: t.name, partitions: t.partitions, compacted: t.compacted, maxMessageBytes: t.maxMessageBytes },
    { name: dlqTopic(t.name), partitions: 1, compacted: false },
  ]);
}
