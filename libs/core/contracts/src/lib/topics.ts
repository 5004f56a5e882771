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

/**
 * How long a topic keeps its records (docs/decisions/0022-data-lifecycle.md):
 * - `data`: RETENTION_DAYS, the deployment's data lifetime, the same as the PostgreSQL rows these
 *   records produce (the aggregator prunes those);
 * - `latest-per-key`: compacted state, the last value of each key stays, with no time limit.
 * Dead-letter topics keep DEAD_LETTER_RETENTION_DAYS (longer: an operator replays them after a fix).
 */
export type TopicRetention = 'data' | 'latest-per-key';

/** RETENTION_DAYS when unset: how long queries, answers, decisions and rewards are kept. */
export const DEFAULT_RETENTION_DAYS = 30;

/** Dead letters outlive the data they came from, so that a fix can still replay them. */
export const DEAD_LETTER_RETENTION_DAYS = 90;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface TopicSpec {
  name: TopicName;
  /** Partition count used when the topic is created (tests may cap it). */
  partitions: number;
  /** Compacted topics keep the last value per key: state, not history. */
  compacted: boolean;
  /** How long records stay (`latest-per-key` exactly when compacted). */
  retention: TopicRetention;
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
  { name: Topic.Queries, partitions: 6, compacted: false, retention: 'data', key: 'request id' },
  { name: Topic.Responses, partitions: 6, compacted: false, retention: 'data', key: 'request id' },
  { name: Topic.Decisions, partitions: 6, compacted: false, retention: 'data', key: 'scope' },
  { name: Topic.Feedback, partitions: 6, compacted: false, retention: 'data', key: 'scope' },
  { name: Topic.Prices, partitions: 1, compacted: true, retention: 'latest-per-key', key: 'model id' },
  { name: Topic.Catalog, partitions: 1, compacted: true, retention: 'latest-per-key', key: 'model id' },
  {
    name: Topic.PolicyUpdates,
    partitions: 3,
    compacted: true,
    retention: 'latest-per-key',
    key: 'scope',
    maxMessageBytes: POLICY_SNAPSHOT_MAX_BYTES,
  },
  { name: Topic.ParetoFrontier, partitions: 1, compacted: true, retention: 'latest-per-key', key: 'scope' },
  { name: Topic.RewardStream, partitions: 3, compacted: false, retention: 'data', key: 'scope' },
  { name: Topic.BatchRequests, partitions: 3, compacted: false, retention: 'data', key: 'request id' },
  { name: Topic.BatchAssignments, partitions: 3, compacted: false, retention: 'data', key: 'batch id' },
];

/** Poison messages of topic T are parked on `${T}.dlq` with the reason; nothing is dropped. */
export const dlqTopic = (topic: string): string => `${topic}.dlq`;

/** Kafka's default largest record (the broker's message.max.bytes): what a topic without its own limit takes. */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/** Room a dead letter needs besides the bytes it parks: its other fields, the key and the headers. */
const DEAD_LETTER_ROOM_BYTES = 256 * 1024;

/**
 * The largest record `<topic>.dlq` takes: the largest record of `topic` in base64 (a third
 * larger) and room for the letter's other fields. On a dead-letter topic of its source's size, a
 * record near that size could not be parked: the send failed, the consumer took the record again,
 * and the partition stopped (test/e2e/oversized-dead-letter.int-spec.ts). A record its producer
 * compressed can unzip larger still; its letter then leaves the bytes out (sendToDeadLetter).
 */
export function deadLetterMaxBytes(topic: string): number {
  const source = TOPIC_SPECS.find((t) => t.name === topic)?.maxMessageBytes ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
  return Math.ceil((source * 4) / 3) + DEAD_LETTER_ROOM_BYTES;
}

/** A topic as created: the contract's spec resolved against the deployment's retention. */
export interface TopicDefinition {
  name: string;
  partitions: number;
  compacted: boolean;
  /** retention.ms; absent on compacted topics, whose records are kept per key with no time limit. */
  retentionMs?: number;
  maxMessageBytes?: number;
}

export interface AllTopicsOptions {
  /** RETENTION_DAYS of the deployment (default DEFAULT_RETENTION_DAYS). */
  retentionDays?: number;
}

/** Every topic, dead-letter topics included, for up-front creation. */
export function allTopics(options: AllTopicsOptions = {}): TopicDefinition[] {
  const retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
  if (!(retentionDays > 0)) throw new Error(`retention must be a positive number of days, got ${retentionDays}`);
  return TOPIC_SPECS.flatMap((t) => [
    {
      name: t.name,
      partitions: t.partitions,
      compacted: t.compacted,
      retentionMs: t.retention === 'data' ? Math.round(retentionDays * DAY_MS) : undefined,
      maxMessageBytes: t.maxMessageBytes,
    },
    {
      name: dlqTopic(t.name),
      partitions: 1,
      compacted: false,
      retentionMs: Math.round(Math.max(retentionDays, DEAD_LETTER_RETENTION_DAYS) * DAY_MS),
      maxMessageBytes: deadLetterMaxBytes(t.name),
    },
  ]);
}
