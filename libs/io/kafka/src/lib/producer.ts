import { Kafka, Message, Producer, CompressionTypes, IHeaders, Partitioners } from 'kafkajs';
import { encode, encodeBinary, encodeTyped, MessageInputOf, MessageOf, Topic, TopicName } from '@llm-router/contracts';
import { TimeoutError, withTimeout } from './deadline';
import { TopicDirectory } from './topic-directory';
import { defaultPartitionOf, PartitionOf, sendBatchByPartition } from './partitioned-send';
import { yieldIfBusy } from '@llm-router/service/event-loop-slice';

export const DEFAULT_SEND_TIMEOUT_MS = 10000;
export const DEFAULT_SEND_RETRIES = 5;

export interface MessageProducerOptions {
  /** Every send settles within this: acknowledged, or rejected (the caller decides what follows). */
  sendTimeoutMs?: number;
  /** kafkajs retries of one produce request before it fails (backoff capped at 1 s). */
  retries?: number;
}

interface Pending {
  topic: string;
  message: Message;
  settled: boolean;
  timer: NodeJS.Timeout;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** A message for sendRawMany: a topic outside the contracts takes bytes as they are. */
export interface RawMessage {
  key: string | null;
  value: string | Buffer;
  headers?: IHeaders;
}

/**
 * Idempotent producer: the broker drops retried duplicates, so a retry after a lost ack
 * never writes a message twice. Every message is validated against its topic's schema
 * before it leaves (a bug here must not poison consumers), except those sendManyTyped takes:
 * built by typed code, validated by their consumers.
 *
 * Idempotence allows one request in flight; sends made while one is in flight are
 * coalesced into the next request (Kafka's linger, with no added delay when idle), so
 * concurrent handlers share round trips instead of queueing behind each other. Each
 * caller's promise resolves only when its own message is acknowledged.
 *
 * Nothing waits forever: retries are bounded, every send settles within sendTimeoutMs,
 * and a topic the broker does not know is refused on its own before it joins a request
 * (kafkajs would retry its metadata and hold every coalesced message with it).
 */
export class MessageProducer {
  private readonly producer: Producer;
  readonly topics: TopicDirectory;
  readonly sendTimeoutMs: number;
  private readonly partitionOf: PartitionOf;
  private connected = false;
  private queue: Pending[] = [];
  private inFlight = false;

  constructor(kafka: Kafka, opts: MessageProducerOptions = {}) {
    this.sendTimeoutMs = opts.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
    // The Java-compatible murmur2 partitioner: records keyed by scope land on the same
    // partition index in every topic and from every client, which co-partitioning relies on.
    // Bounded retries: a broker outage fails the send, and the caller (a consumer that has
    // not committed its offsets yet) redelivers it, rather than the producer hanging on.
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: opts.retries ?? DEFAULT_SEND_RETRIES, maxRetryTime: 1000, initialRetryTime: 100 },
    });
    this.topics = new TopicDirectory(kafka, { lookupTimeoutMs: this.sendTimeoutMs });
    this.partitionOf = defaultPartitionOf((topic) => this.topics.partitionCount(topic));
  }

  async connect(): Promise<void> {
    if (!this.connected) {
      await this.producer.connect();
      this.connected = true;
    }
  }

  async send<T extends TopicName>(topic: T, value: MessageInputOf<T>, headers?: IHeaders): Promise<MessageOf<T>> {
    if (topic === Topic.PolicyUpdates) {
      // Policy snapshots are large arrays of floats: binary (docs/decisions/0018), sent alone,
      // gzipped (zeros and repeated doubles shrink; kafkajs unzips on libuv's pool, off the loop).
      const e = encodeBinary(topic, value);
      await this.sendOne(
        topic,
        { key: e.key, value: Buffer.from(e.value.buffer, e.value.byteOffset, e.value.byteLength), headers },
        CompressionTypes.GZIP,
      );
      return e.message;
    }
    const e = encode(topic, value);
    await this.enqueue(topic, [{ key: e.key, value: e.value, headers }]);
    return e.message;
  }

  /**
   * Several messages of one topic, acknowledged together. Validating and serialising a
   * batch's thousand answers takes tens of ms: the event loop gets its turns in between.
   */
  async sendMany<T extends TopicName>(topic: T, values: MessageInputOf<T>[]): Promise<MessageOf<T>[]> {
    if (values.length === 0) return [];
    const encoded = await encodedInSlices(values, (v) => encode(topic, v));
    await this.enqueue(
      topic,
      encoded.map((e) => ({ key: e.key, value: e.value })),
    );
    return encoded.map((e) => e.message);
  }

  /**
   * Messages the service's own typed code built (encodeTyped: not validated again; the
   * HTTP front door's answers and decisions), acknowledged together.
   */
  async sendManyTyped<T extends TopicName>(topic: T, messages: MessageOf<T>[]): Promise<void> {
    if (messages.length === 0) return;
    await this.enqueue(topic, await encodedInSlices(messages, (m) => encodeTyped(topic, m)));
  }

  /** To a topic outside the contracts (a caller's replyTo, a dead-letter topic). */
  async sendRaw(topic: string, key: string | null, value: string | Buffer, headers?: IHeaders): Promise<void> {
    await this.enqueue(topic, [{ key, value, headers }]);
  }

  /**
   * One record on its own request, not coalesced with others: a record the broker may refuse
   * for its size (a dead letter) fails alone, and its caller knows the refusal was its own.
   */
  async sendAlone(topic: string, key: string | null, value: string | Buffer, headers?: IHeaders): Promise<void> {
    await this.topics.require(topic);
    await this.sendOne(topic, { key, value, headers });
  }

  /** One record on a request of its own, acknowledged by every replica, within sendTimeoutMs. */
  private async sendOne(topic: string, message: Message, compression?: CompressionTypes): Promise<void> {
    await withTimeout(
      this.producer.send({ topic, acks: -1, timeout: this.sendTimeoutMs, compression, messages: [message] }),
      this.sendTimeoutMs,
      `send to ${topic}`,
    );
  }

  /** Several messages to a topic outside the contracts, acknowledged together. */
  async sendRawMany(topic: string, messages: RawMessage[]): Promise<void> {
    if (messages.length > 0) await this.enqueue(topic, messages);
  }

  /**
   * Waits for what is queued at most sendTimeoutMs (each send has its own deadline anyway),
   * so that shutdown is bounded when the broker is gone.
   */
  async disconnect(): Promise<void> {
    const deadline = Date.now() + this.sendTimeoutMs;
    while ((this.inFlight || this.queue.length > 0) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    for (const p of this.queue.splice(0)) this.settle(p, new Error('producer disconnected before the send'));
    await this.topics.close();
    if (this.connected) {
      this.connected = false;
      await withTimeout(this.producer.disconnect(), this.sendTimeoutMs, 'producer disconnect').catch(() => undefined);
    }
  }

  private async enqueue(topic: string, messages: Message[]): Promise<void> {
    await this.topics.require(topic);
    const all = messages.map(
      (message) =>
        new Promise<void>((resolve, reject) => {
          const p: Pending = { topic, message, settled: false, resolve, reject, timer: undefined as never };
          p.timer = setTimeout(() => {
            // Still queued: it will never be sent. In flight: it may yet be written, and the
            // caller, told it failed, redelivers (at-least-once).
            this.queue = this.queue.filter((q) => q !== p);
            this.settle(p, new TimeoutError(`send to ${topic}`, this.sendTimeoutMs));
          }, this.sendTimeoutMs);
          p.timer.unref();
          this.queue.push(p);
        }),
    );
    void this.flush();
    await Promise.all(all);
  }

  private async sendTopics(topics: string[], byTopic: Map<string, Message[]>): Promise<void> {
    try {
      // One request per partition: see partitioned-send.ts (a kafkajs retry can drop records).
      await sendBatchByPartition(
        this.producer,
        {
          acks: -1,
          timeout: this.sendTimeoutMs,
          topicMessages: topics.map((topic) => ({ topic, messages: byTopic.get(topic)! })),
        },
        this.partitionOf,
      );
    } catch (e) {
      // A topic deleted since it was checked: look it up again before its next send.
      for (const topic of topics) this.topics.forget(topic);
      throw e;
    }
  }

  private settle(p: Pending, error?: unknown): void {
    if (p.settled) return;
    p.settled = true;
    clearTimeout(p.timer);
    if (error === undefined) p.resolve();
    else p.reject(error);
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
          await this.sendTopics([...byTopic.keys()], byTopic);
          for (const p of batch) this.settle(p);
        } catch (e) {
          if (byTopic.size === 1) {
            for (const p of batch) this.settle(p, e);
            continue;
          }
          // One topic's failure (a full or too-small replyTo, a deleted topic) must not fail
          // the messages coalesced with it: each topic is tried once more on its own. A topic
          // the failed request did write is then written twice (at-least-once, as a redelivery).
          for (const topic of byTopic.keys()) {
            const own = batch.filter((p) => p.topic === topic);
            try {
              await this.sendTopics([topic], byTopic);
              for (const p of own) this.settle(p);
            } catch (err) {
              for (const p of own) this.settle(p, err);
            }
          }
        }
      }
    } finally {
      this.inFlight = false;
    }
  }
}

/** Each value encoded, the event loop getting a turn between them when it has been busy. */
async function encodedInSlices<V, E>(values: readonly V[], encodeOne: (v: V) => E): Promise<E[]> {
  const out: E[] = [];
  for (const v of values) {
    await yieldIfBusy();
    out.push(encodeOne(v));
  }
  return out;
}
