import { Consumer, ConsumerConfig, Kafka, KafkaMessage } from 'kafkajs';
import { decode, MessageOf, TopicName } from '@llm-router/contracts';
import { MessageProducer } from './producer';
import { sendToDeadLetter } from './dead-letter';

export interface Received<T extends TopicName = TopicName> {
  topic: T;
  partition: number;
  offset: string;
  key: string | null;
  value: MessageOf<T>;
}

export interface BatchOf {
  topic: TopicName;
  partition: number;
  /** Valid messages, in offset order; messages below the stored offset are already filtered out. */
  messages: Received[];
  /** Offset to resume from once this batch has taken effect. */
  nextOffset: string;
}

export interface TopicConsumerOptions {
  groupId: string;
  topics: TopicName[];
  /** Where a group with no committed offset starts: compacted state topics read from the start. */
  fromBeginning?: boolean;
  consumerConfig?: Partial<ConsumerConfig>;
  log?: { warn: (o: object, m: string) => void; error: (o: object, m: string) => void };
}

/**
 * A kafkajs consumer that decodes every message against its topic's schema and parks the
 * invalid ones on the topic's dead-letter topic with the reason: a poison message is never
 * lost and never blocks its partition.
 */
export class TopicConsumer {
  private readonly consumer: Consumer;
  private joined = false;

  constructor(
    kafka: Kafka,
    private readonly producer: MessageProducer,
    private readonly opts: TopicConsumerOptions,
  ) {
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: 15000,
      heartbeatInterval: 1500,
      ...opts.consumerConfig,
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => (this.joined = true));
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      this.joined = false;
      opts.log?.error(
        { err: e.payload.error?.message, restart: e.payload.restart },
        `consumer ${opts.groupId} crashed`,
      );
    });
  }

  get hasJoined(): boolean {
    return this.joined;
  }

  get raw(): Consumer {
    return this.consumer;
  }

  /** At-least-once: each message is handled, then its offset is committed. */
  async runEach(handler: (m: Received) => Promise<void>): Promise<void> {
    await this.subscribe();
    await this.consumer.run({
      autoCommit: true,
      autoCommitInterval: 1000,
      eachMessage: async ({ topic, partition, message }) => {
        const decoded = await this.decodeOrPark(topic as TopicName, partition, message);
        if (decoded) await handler(decoded);
      },
    });
  }

  /**
   * Exactly-once effect: `apply` must persist the batch's effect AND `nextOffset` in one
   * database transaction. On (re)assignment the consumer seeks to the stored offsets, and
   * anything below them is skipped, so a crash between the database commit and Kafka's
   * commit neither loses nor repeats a message.
   */
  async runTransactional(
    loadOffsets: () => Promise<Map<string, string>>,
    apply: (batch: BatchOf) => Promise<void>,
  ): Promise<void> {
    let stored = new Map<string, string>();
    this.consumer.on(this.consumer.events.GROUP_JOIN, async (e) => {
      stored = await loadOffsets();
      for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) {
        for (const partition of partitions as number[]) {
          const offset = stored.get(`${topic}:${partition}`);
          if (offset !== undefined) this.consumer.seek({ topic, partition, offset });
        }
      }
    });
    await this.subscribe();
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale()) return;
        const floor = BigInt(stored.get(`${batch.topic}:${batch.partition}`) ?? '0');
        const messages: Received[] = [];
        let last: string | null = null;
        for (const m of batch.messages) {
          last = m.offset;
          if (BigInt(m.offset) < floor) continue;
          const decoded = await this.decodeOrPark(batch.topic as TopicName, batch.partition, m);
          if (decoded) messages.push(decoded);
        }
        if (last === null) return;
        const nextOffset = (BigInt(last) + 1n).toString();
        await apply({ topic: batch.topic as TopicName, partition: batch.partition, messages, nextOffset });
        stored.set(`${batch.topic}:${batch.partition}`, nextOffset);
        resolveOffset(last);
        await this.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: nextOffset }]);
        await heartbeat();
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }

  private async subscribe(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.opts.topics, fromBeginning: this.opts.fromBeginning ?? false });
  }

  private async decodeOrPark(topic: TopicName, partition: number, message: KafkaMessage): Promise<Received | null> {
    const r = decode(topic, message.value);
    if (r.ok) {
      return { topic, partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, value: r.value };
    }
    this.opts.log?.warn(
      { topic, partition, offset: message.offset, reason: r.error.message },
      'invalid message sent to dead-letter topic',
    );
    await sendToDeadLetter(this.producer, this.opts.groupId, topic, partition, message, r.error.message);
    return null;
  }
}
