import { Consumer, ConsumerConfig, ConsumerRunConfig, Kafka, KafkaMessage } from 'kafkajs';
import { MessageOf, TopicName } from '@llm-router/contracts';
import { MessageProducer } from './producer';
import { isTransient, PoisonGuard, PoisonGuardOptions } from './poison-guard';
import { coPartitionedAssigner } from './co-partitioned-assignor';
import { keepConsuming } from './keep-consuming';

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
  /**
   * Partition p of every topic to one member, sticky across rebalances (CoPartitionedAssigner
   * fed with this consumer's current assignment).
   */
  coPartitioned?: boolean;
  log?: { warn: (o: object, m: string) => void; error: (o: object, m: string) => void };
  /** Bounded retry of a failing message before it is dead-lettered. */
  retry?: PoisonGuardOptions['retry'];
  onDeadLetter?: PoisonGuardOptions['onDeadLetter'];
}

/**
 * A kafkajs consumer that decodes every message against its topic's schema and parks the
 * invalid ones on the topic's dead-letter topic with the reason; a message that its handler
 * (or the database) keeps refusing goes there too after a bounded retry: a poison message is
 * never lost and never blocks its partition.
 */
export class TopicConsumer {
  private readonly consumer: Consumer;
  private readonly guard: PoisonGuard;
  private joined = false;
  private stopping = false;
  /** Partition indices this member owns now: what a sticky assignor keeps for it. */
  private ownedIndices: number[] = [];

  constructor(
    kafka: Kafka,
    private readonly producer: MessageProducer,
    private readonly opts: TopicConsumerOptions,
  ) {
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: 15000,
      heartbeatInterval: 1500,
      ...(opts.coPartitioned ? { partitionAssigners: [coPartitionedAssigner(() => this.ownedIndices)] } : {}),
      ...opts.consumerConfig,
    });
    this.guard = new PoisonGuard(producer, opts.groupId, {
      retry: opts.retry,
      onDeadLetter: opts.onDeadLetter,
      log: opts.log,
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.joined = true;
      this.ownedIndices = [...new Set(Object.values(e.payload.memberAssignment).flat())];
    });
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
    await this.start({
      autoCommit: true,
      autoCommitInterval: 1000,
      eachMessage: async ({ topic, partition, message }) =>
        this.guard.process(topic as TopicName, partition, message, (value) =>
          handler(received(topic as TopicName, partition, message, value)),
        ),
    });
  }

  /**
   * Exactly-once effect: `apply` must persist the batch's effect AND `nextOffset` in one
   * database transaction, and leave no trace (in memory either) when it throws. On
   * (re)assignment the consumer seeks to the stored offsets, and anything below them is
   * skipped, so a crash between the database commit and Kafka's commit neither loses nor
   * repeats a message.
   *
   * A batch that still fails after the bounded retry is split (docs/decisions/0008): its
   * messages are applied one per transaction until the one that fails is found; that one is
   * dead-lettered, and the rest of the batch is applied in one transaction whose stored offset
   * is past it (split again if another poison follows). Transient failures (database down) are
   * rethrown: the consumer retries the batch and dead-letters nothing.
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
    await this.start({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale()) return;
        const topic = batch.topic as TopicName;
        const { partition } = batch;
        const floor = BigInt(stored.get(`${topic}:${partition}`) ?? '0');
        const pending: Pending[] = [];
        let last: string | null = null;
        for (const m of batch.messages) {
          last = m.offset;
          if (BigInt(m.offset) < floor) continue;
          const value = await this.guard.decode(topic, partition, m);
          if (value !== null) pending.push({ raw: m, received: received(topic, partition, m, value) });
        }
        if (last === null) return;
        /** Records that everything below `nextOffset` took effect (the database already says so). */
        const taken = async (nextOffset: string) => {
          stored.set(`${topic}:${partition}`, nextOffset);
          resolveOffset((BigInt(nextOffset) - 1n).toString());
          await this.consumer.commitOffsets([{ topic, partition, offset: nextOffset }]);
          await heartbeat();
        };
        const applyInOne = (part: Pending[], nextOffset: string) =>
          apply({ topic, partition, messages: part.map((p) => p.received), nextOffset });
        const applyIsolating = async (part: Pending[], nextOffset: string): Promise<void> => {
          try {
            await this.guard.retrying(() => applyInOne(part, nextOffset), { onRetry: heartbeat });
            return taken(nextOffset);
          } catch (e) {
            if (isTransient(e) || part.length === 0) throw e;
            if (part.length === 1) {
              // Dead-lettered before the offset moves past it: a crash in between repeats the
              // dead letter, it never loses the message.
              await this.guard.deadLetter(topic, partition, part[0].raw, e);
              return applyIsolating([], nextOffset);
            }
          }
          for (let i = 0; i < part.length; i++) {
            if (!isRunning() || isStale()) return;
            const own = offsetAfter(part[i]);
            try {
              await this.guard.retrying(() => applyInOne([part[i]], own), { onRetry: heartbeat });
            } catch (e) {
              if (isTransient(e)) throw e;
              await this.guard.deadLetter(topic, partition, part[i].raw, e);
              return applyIsolating(part.slice(i + 1), nextOffset);
            }
            await taken(own);
          }
          // Every message passed alone: the batch failed as a whole (e.g. a transient conflict).
          if (BigInt(offsetAfter(part[part.length - 1])) < BigInt(nextOffset)) return applyIsolating([], nextOffset);
        };
        await applyIsolating(pending, (BigInt(last) + 1n).toString());
      },
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer.disconnect();
  }

  /** Connects, subscribes and runs; and again after a crash kafkajs would not restart from. */
  private async start(config: ConsumerRunConfig): Promise<void> {
    const run = async () => {
      await this.consumer.connect();
      await this.consumer.subscribe({ topics: this.opts.topics, fromBeginning: this.opts.fromBeginning ?? false });
      await this.consumer.run(config);
    };
    keepConsuming(this.consumer, run, {
      name: this.opts.groupId,
      isStopping: () => this.stopping,
      log: this.opts.log,
    });
    await run();
  }
}

interface Pending {
  raw: KafkaMessage;
  received: Received;
}

const offsetAfter = (p: Pending): string => (BigInt(p.received.offset) + 1n).toString();

function received<T extends TopicName>(topic: T, partition: number, m: KafkaMessage, value: MessageOf<T>): Received<T> {
  return { topic, partition, offset: m.offset, key: m.key?.toString('utf8') ?? null, value };
}
