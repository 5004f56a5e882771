import { Kafka, Message, Producer, CompressionTypes, IHeaders, Partitioners } from 'kafkajs';
import { encode, MessageInputOf, MessageOf, Topic, TopicName } from '@llm-router/contracts';

interface Pending {
  topic: string;
  message: Message;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Idempotent producer: the broker drops retried duplicates, so a retry after a lost ack
 * never writes a message twice. Every message is validated against its topic's schema
 * before it leaves (a bug here must not poison consumers).
 *
 * Idempotence allows one request in flight; sends made while one is in flight are
 * coalesced into the next request (Kafka's linger, with no added delay when idle), so
 * concurrent handlers share round trips instead of queueing behind each other. Each
 * caller's promise resolves only when its own message is acknowledged.
 */
export class MessageProducer {
  private readonly producer: Producer;
  private connected = false;
  private queue: Pending[] = [];
  private inFlight = false;

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
    if (topic === Topic.PolicyUpdates) {
      // Policy snapshots are large arrays of floats: sent alone, gzipped (roughly halves them).
      await this.producer.send({
        topic,
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: [{ key: e.key, value: e.value, headers }],
      });
    } else {
      await this.enqueue(topic, [{ key: e.key, value: e.value, headers }]);
    }
    return e.message;
  }

  /** Several messages of one topic, acknowledged together. */
  async sendMany<T extends TopicName>(topic: T, values: MessageInputOf<T>[]): Promise<MessageOf<T>[]> {
    if (values.length === 0) return [];
    const encoded = values.map((v) => encode(topic, v));
    await this.enqueue(
      topic,
      encoded.map((e) => ({ key: e.key, value: e.value })),
    );
    return encoded.map((e) => e.message);
  }

  /** To a topic outside the contracts (a caller's replyTo, a dead-letter topic). */
  async sendRaw(topic: string, key: string | null, value: string | Buffer, headers?: IHeaders): Promise<void> {
    await this.enqueue(topic, [{ key, value, headers }]);
  }

  async disconnect(): Promise<void> {
    while (this.inFlight || this.queue.length > 0) await new Promise((r) => setTimeout(r, 10));
    if (this.connected) {
      await this.producer.disconnect();
      this.connected = false;
    }
  }

  private enqueue(topic: string, messages: Message[]): Promise<void> {
    const all = messages.map(
      (message) => new Promise<void>((resolve, reject) => this.queue.push({ topic, message, resolve, reject })),
    );
    void this.flush();
    return Promise.all(all).then(() => undefined);
  }

  private async flush(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, 500);
        const byTopic = new Map<string, Message[]>();
        for (const p of batch) {
          const list = byTopic.get(p.topic) ?? [];
          list.push(p.message);
          byTopic.set(p.topic, list);
        }
        try {
          await this.producer.sendBatch({
            acks: -1,
            topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
          });
          for (const p of batch) p.resolve();
        } catch (e) {
          for (const p of batch) p.reject(e);
        }
      }
    } finally {
      this.inFlight = false;
    }
  }
}
