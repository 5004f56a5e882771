import { Kafka, Producer, CompressionTypes, IHeaders, Partitioners } from 'kafkajs';
import { encode, MessageInputOf, MessageOf, Topic, TopicName } from '@llm-router/contracts';

/**
 * Idempotent producer: the broker drops retried duplicates, so a retry after a lost ack
 * never writes a message twice. Every message is validated against its topic's schema
 * before it leaves (a bug here must not poison consumers).
 */
export class MessageProducer {
  private readonly producer: Producer;
  private connected = false;

  constructor(kafka: Kafka) {
    // The Java-compatible murmur2 partitioner: records keyed by scope land on the same
    // partition index in every topic and from every client, which co-partitioning relies on.
    // Unbounded retries (each at most 30 s apart): an idempotent producer that gave up would
    // turn a broker outage into lost messages.
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 30000, initialRetryTime: 200 },
    });
  }

  async connect(): Promise<void> {
    if (!this.connected) {
      await this.producer.connect();
      this.connected = true;
    }
  }

  async send<T extends TopicName>(topic: T, value: MessageInputOf<T>, headers?: IHeaders): Promise<MessageOf<T>> {
    const e = encode(topic, value);
    // Policy snapshots are large arrays of floats: gzip roughly halves them.
    const compression = topic === Topic.PolicyUpdates ? CompressionTypes.GZIP : CompressionTypes.None;
    await this.producer.send({ topic, acks: -1, compression, messages: [{ key: e.key, value: e.value, headers }] });
    return e.message;
  }

  /** Several messages of one topic in one request. */
  async sendMany<T extends TopicName>(topic: T, values: MessageInputOf<T>[]): Promise<MessageOf<T>[]> {
    if (values.length === 0) return [];
    const encoded = values.map((v) => encode(topic, v));
    await this.producer.send({ topic, acks: -1, messages: encoded.map((e) => ({ key: e.key, value: e.value })) });
    return encoded.map((e) => e.message);
  }

  /** To a topic outside the contracts (a caller's replyTo, a dead-letter topic). */
  async sendRaw(topic: string, key: string | null, value: string | Buffer, headers?: IHeaders): Promise<void> {
    await this.producer.send({ topic, acks: -1, messages: [{ key, value, headers }] });
  }

  async disconnect(): Promise<void> {
    if (this.connected) {
      await this.producer.disconnect();
      this.connected = false;
    }
  }
}
