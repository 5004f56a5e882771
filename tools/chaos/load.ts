/**
 * The client side of a chaos run, with a plain kafkajs client: a steady pace of queries to
 * llm.queries, every answer read back from llm.responses, and the dataset's quality sent back
 * as feedback. A send the broker does not acknowledge is sent again with the same id (the
 * router answers a repeated request id from its idempotency record), so "sent" means
 * acknowledged by the broker.
 */
import { Consumer, Kafka, Producer } from 'kafkajs';
import { Topic, type DatasetRow } from '@llm-router/contracts';
import { Rng } from '@llm-router/numerics';
import { PartitionedProducer } from '@llm-router/kafka/partitioned-send';
import type { LoopSample } from './ledger';

type Message = { key: string; value: string };

export interface AnswerSeen {
  decisionId?: string;
  model?: string;
  at: number;
}

export interface ChaosLoadOptions {
  kafka: Kafka;
  scope: string;
  runId: string;
  rows: DatasetRow[];
  /** Queries per second. */
  rate: number;
  /** Share of queries sent with mode=batch (answered through the batch planner). */
  batchShare: number;
  /** Share of feedback records sent twice (the aggregator must count them once). */
  duplicateFeedbackShare: number;
  seed: number;
}

export class ChaosLoad {
  /** Request id -> first send attempt (ms). */
  readonly firstSentAt = new Map<string, number>();
  /** Request ids the broker acknowledged. */
  readonly sent = new Set<string>();
  readonly answers = new Map<string, AnswerSeen>();
  /** Request ids answered twice with a different decision or model. */
  readonly conflicting = new Set<string>();
  /** Answers delivered again, identical: at-least-once delivery, not a duplicate. */
  redelivered = 0;
  /** Answers that carry an error and no decision (no model answered). */
  readonly failedAnswers = new Set<string>();
  /** Decision ids whose feedback the broker acknowledged. */
  readonly feedbackAcked = new Set<string>();
  /** Request ids sent in batch mode (answered through the batch planner). */
  readonly batchIds = new Set<string>();
  readonly samples: LoopSample[] = [];
  sendErrors = 0;
  consumerRestarts = 0;

  private readonly producer: Producer;
  private readonly sender: PartitionedProducer;
  private consumer?: Consumer;
  private readonly rng: Rng;
  private nextQuery = 0;
  private started = 0;
  private readonly retryQueries: Message[] = [];
  private readonly feedbackQueue: Message[] = [];
  private feedbackHeld = false;
  private sending = false;
  private ticker?: NodeJS.Timeout;
  private feedbackInFlight = 0;
  private stopped = false;

  constructor(private readonly o: ChaosLoadOptions) {
    this.rng = new Rng(o.seed + 7919);
    this.producer = o.kafka.producer({ retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2000 } });
    // One request per partition: a kafkajs retry after a leader change can drop records otherwise.
    this.sender = new PartitionedProducer(o.kafka, this.producer);
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.startConsumer();
    this.started = Date.now();
    this.sending = true;
    this.ticker = setInterval(() => this.tick(), 100);
  }

  /** Stops producing new queries; retries and feedback go on until drained. */
  stopSending(): void {
    this.sending = false;
  }

  /** While held, feedback accumulates; release() sends it as one burst and resolves on its ack. */
  holdFeedback(): void {
    this.feedbackHeld = true;
  }

  async releaseFeedback(): Promise<number> {
    this.feedbackHeld = false;
    const burst = this.feedbackQueue.splice(0);
    await this.sendFeedback(burst, true);
    return burst.length;
  }

  /** Nothing left to send or resend, and every answered query's feedback acknowledged. */
  drained(): boolean {
    return (
      !this.sending &&
      this.retryQueries.length === 0 &&
      this.feedbackQueue.length === 0 &&
      this.feedbackInFlight === 0 &&
      [...this.sent].every((id) => this.answers.has(id))
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.ticker);
    await this.consumer?.disconnect().catch(() => undefined);
    await this.sender.close().catch(() => undefined);
    await this.producer.disconnect().catch(() => undefined);
  }

  private tick(): void {
    const out: Message[] = this.retryQueries.splice(0);
    if (this.sending) {
      const due = Math.floor(((Date.now() - this.started) * this.o.rate) / 1000) + 1;
      for (; this.nextQuery < due; this.nextQuery++) out.push(this.query(this.nextQuery));
    }
    if (out.length > 0) void this.sendQueries(out);
    if (!this.feedbackHeld && this.feedbackQueue.length > 0) void this.sendFeedback(this.feedbackQueue.splice(0));
  }

  private query(j: number): Message {
    const id = `${this.o.scope}-${j}`;
    const row = j % this.o.rows.length;
    this.firstSentAt.set(id, Date.now());
    const batch = this.rng.next() < this.o.batchShare;
    if (batch) this.batchIds.add(id);
    return {
      key: id,
      value: JSON.stringify({
        id,
        scope: this.o.scope,
        messages: [{ role: 'user', content: this.o.rows[row].prompt }],
        datasetRow: row,
        ...(batch && { constraints: { mode: 'batch' } }),
        ts: new Date().toISOString(),
      }),
    };
  }

  private async sendQueries(messages: Message[]): Promise<void> {
    try {
      await this.sender.send({ topic: Topic.Queries, messages });
      for (const m of messages) this.sent.add(m.key);
    } catch {
      this.sendErrors += 1;
      if (!this.stopped) this.retryQueries.push(...messages);
    }
  }

  private async sendFeedback(messages: Message[], rethrow = false): Promise<void> {
    if (messages.length === 0) return;
    this.feedbackInFlight += 1;
    try {
      await this.sender.send({ topic: Topic.Feedback, messages });
      for (const m of messages) this.feedbackAcked.add(JSON.parse(m.value).decisionId);
    } catch (e) {
      this.sendErrors += 1;
      if (!this.stopped) this.feedbackQueue.push(...messages);
      if (rethrow) throw e;
    } finally {
      this.feedbackInFlight -= 1;
    }
  }

  private async startConsumer(): Promise<void> {
    const consumer = this.o.kafka.consumer({ groupId: `chaos-client-${this.o.runId}`, retry: { retries: 10 } });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [Topic.Responses], fromBeginning: true });
    // kafkajs gives up on a consumer after errors it deems fatal (a broker gone at the wrong
    // moment); the client must outlive every fault, so it joins again with a new one.
    consumer.on(consumer.events.CRASH, (e) => {
      if (e.payload.restart || this.stopped) return;
      this.consumerRestarts += 1;
      void consumer
        .disconnect()
        .catch(() => undefined)
        .then(() => (this.stopped ? undefined : this.startConsumer()))
        .catch(() => undefined);
    });
    await consumer.run({ eachMessage: async ({ message }) => this.onAnswer(JSON.parse(message.value!.toString())) });
  }

  private onAnswer(r: { id: string; scope?: string; decisionId?: string; model?: string; error?: unknown }): void {
    if (r.scope !== this.o.scope) return;
    const seen = this.answers.get(r.id);
    if (seen) {
      if (seen.decisionId !== r.decisionId || seen.model !== r.model) this.conflicting.add(r.id);
      else this.redelivered += 1;
      return;
    }
    const at = Date.now();
    this.answers.set(r.id, { decisionId: r.decisionId, model: r.model, at });
    if (!r.decisionId || !r.model) {
      this.failedAnswers.add(r.id);
      return;
    }
    this.samples.push({ sentAt: this.firstSentAt.get(r.id) ?? at, answeredAt: at, decisionId: r.decisionId });
    const row = this.o.rows[Number(r.id.split('-').pop()) % this.o.rows.length];
    const feedback = {
      key: this.o.scope,
      value: JSON.stringify({
        decisionId: r.decisionId,
        scope: this.o.scope,
        quality: row.arms[r.model]?.reward ?? 0,
        source: 'replay',
        ts: new Date().toISOString(),
      }),
    };
    this.feedbackQueue.push(feedback);
    if (this.rng.next() < this.o.duplicateFeedbackShare) this.feedbackQueue.push(feedback);
  }
}
