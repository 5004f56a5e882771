import { setMaxListeners } from 'node:events';
import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import pLimit from 'p-limit';
import { PinoLogger } from 'nestjs-pino';
import { decode, DecisionEvent, QueryRequest, RoutedResponse, Topic } from '@llm-router/contracts';
import {
  errorMessage,
  isTransient,
  KAFKA,
  KafkaService,
  keepConsuming,
  MessageProducer,
  PoisonGuard,
  STOPPING_REASON,
  withTimeout,
} from '@llm-router/kafka';
import { AnswerStore, answerKey, StoredAnswer } from '@llm-router/persistence';
import { APP_CONFIG, HealthRegistry, MetricsService, yieldIfBusy } from '@llm-router/service';
import { RouterConfig } from '../config';
import { BudgetCap } from '../auth/budget-cap';
import { worstCaseCallUsd } from '../auth/worst-case-cost';
import { ReplicaService } from '@llm-router/replica';
import { decisionIdFor } from '@llm-router/engine';
import { Answer, RoutingRejected, RoutingService } from './routing.service';

const CONSUMER = 'router';
/** Stored answers per INSERT. */
const SAVE_CHUNK = 250;

/**
 * The Kafka front door: llm.queries, consumed in batches by all router replicas in one group.
 * A fetched batch is decoded (invalid: llm.queries.dlq with the reason), its queries routed
 * concurrently (ROUTER_MAX_IN_FLIGHT over all partitions), their answers stored, then
 * published with one send per topic, and only once those sends are acknowledged are the
 * offsets committed: at-least-once, and a redelivered query is answered from its stored
 * answer (and decision, published again) instead of calling a model again. Batch-mode queries go to batch.requests.
 * docs/decisions/0009-router-batch-consumption.md says why.
 */
@Injectable()
export class QueryBatchConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly consumer: Consumer;
  private readonly stopping = new AbortController();
  private readonly inFlight: pLimit.Limit;
  private readonly guard: PoisonGuard;
  private joined = false;

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    kafkaService: KafkaService,
    private readonly producer: MessageProducer,
    private readonly routing: RoutingService,
    private readonly answers: AnswerStore,
    private readonly budget: BudgetCap,
    private readonly replica: ReplicaService,
    private readonly metrics: MetricsService,
    private readonly log: PinoLogger,
    @Inject(APP_CONFIG) private readonly config: RouterConfig,
    health: HealthRegistry,
  ) {
    this.inFlight = pLimit(config.ROUTER_MAX_IN_FLIGHT);
    this.guard = kafkaService.guard(CONSUMER);
    // Every model call in flight listens for the stop: up to ROUTER_MAX_IN_FLIGHT listeners is expected, not a leak.
    setMaxListeners(config.ROUTER_MAX_IN_FLIGHT + 16, this.stopping.signal);
    this.consumer = kafka.consumer({
      groupId: config.QUERIES_GROUP_ID,
      sessionTimeout: config.ROUTER_SESSION_TIMEOUT_MS,
      heartbeatInterval: config.ROUTER_HEARTBEAT_INTERVAL_MS,
      allowAutoTopicCreation: false,
      maxBytes: config.ROUTER_FETCH_MAX_BYTES,
      maxBytesPerPartition: config.ROUTER_FETCH_MAX_BYTES_PER_PARTITION,
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => (this.joined = true));
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      this.joined = false;
      this.log.error({ err: e.payload.error?.message, restart: e.payload.restart }, 'llm.queries consumer crashed');
    });
    health.register('queries', () => ({ ok: this.joined, group: config.QUERIES_GROUP_ID }));
  }

  async onApplicationBootstrap(): Promise<void> {
    const start = async () => {
      await this.consumer.connect();
      // A partition the group has no committed offset for is read from its start, not its end: a
      // consumer restarted after a crash before its first commit resumed at the end and never
      // answered the queries it had been handed (test/e2e/router-first-start.int-spec.ts), and
      // queries produced before any router ran were never answered either.
      await this.consumer.subscribe({ topics: [Topic.Queries], fromBeginning: true });
      await this.consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.config.ROUTER_PARTITIONS_CONCURRENCY,
        eachBatch: (payload) => this.onBatch(payload),
      });
    };
    keepConsuming(this.consumer, start, {
      name: this.config.QUERIES_GROUP_ID,
      isStopping: () => this.stopping.signal.aborted,
      log: { warn: (o, m) => this.log.warn(o, m), error: (o, m) => this.log.error(o, m) },
    });
    await start();
  }

  /** Abandons model calls in flight (their queries are redelivered) and leaves the group, bounded. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort(new Error(STOPPING_REASON));
    await withTimeout(this.consumer.disconnect(), this.config.SHUTDOWN_TIMEOUT_MS, 'llm.queries consumer stop').catch(
      (e: Error) => this.log.warn({ err: e.message }, 'llm.queries consumer did not stop cleanly'),
    );
  }

  private async onBatch({ batch, heartbeat, resolveOffset, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    const receivedAt = Date.now();
    // kafkajs heartbeats only between batches: a model call longer than the session timeout
    // would get this member evicted and its partitions handed to another, mid-call.
    const keepAlive = setInterval(
      () => void heartbeat().catch((e: Error) => this.log.debug({ err: e.message }, 'heartbeat refused')),
      this.config.ROUTER_HEARTBEAT_INTERVAL_MS,
    );
    try {
      await this.handle(batch.partition, batch.messages, receivedAt);
    } finally {
      clearInterval(keepAlive);
    }
    if (isStale()) return;
    const last = batch.messages[batch.messages.length - 1].offset;
    await this.consumer.commitOffsets([
      { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
    ]);
    resolveOffset(last);
    this.metrics.counter('router_queries_consumed_total', 'llm.queries records committed').inc(batch.messages.length);
  }

  /**
   * Routes one query within the scope's hard budget caps (SCOPE_BUDGETS), as the HTTP front
   * door does: the worst case is reserved before any model is called and settled to the bill
   * after, so several routers together never pass a cap by more than their calls in flight.
   * The settlement is not waited for here: it goes into `settlements`, which the batch awaits
   * with its publication, before the commit, so it costs the query no round trip of its own.
   */
  private async answerWithinCaps(
    query: QueryRequest,
    receivedAt: number,
    settlements: Promise<void>[],
  ): Promise<Answer> {
    const text = query.messages.map((m) => m.content).join('\n');
    const models = query.constraints.model ? [query.constraints.model] : this.replica.engines.models();
    const prices = models.map((m) => this.replica.engines.price(m)).filter((p) => p !== undefined);
    const worst = worstCaseCallUsd(prices, Buffer.byteLength(text), this.config.DEFAULT_MAX_TOKENS);
    const reservation = await this.budget.reserve(query.scope, undefined, worst);
    if (!reservation.ok) {
      this.metrics.counter('router_budget_capped_total', 'Kafka queries refused by a hard budget cap').inc();
      return cappedAnswer(query, reservation.reason);
    }
    let costUsd = 0;
    try {
      // The reservations of a whole batch come back together: deciding them all in one go
      // would hold the event loop for the length of the batch.
      await yieldIfBusy();
      const answer = await this.routing.answer(query, { signal: this.stopping.signal, receivedAt });
      costUsd = answer.response.costUsd;
      return answer;
    } finally {
      const settled = this.budget.settle(reservation.hold, costUsd);
      settled.catch(() => undefined); // awaited with the batch; this only keeps an early failure from going unhandled
      settlements.push(settled);
    }
  }

  /** Everything a batch needs before its offsets may be committed; throws (-> redelivery) otherwise. */
  private async handle(partition: number, messages: KafkaMessage[], receivedAt: number): Promise<void> {
    const deadLetters: Promise<void>[] = [];
    // The guard's dead-lettering: logged, and counted in kafka_dead_letters_total{topic,reason}.
    const park = (message: KafkaMessage, error: unknown) => {
      const parked = this.guard.deadLetter(Topic.Queries, partition, message, error);
      parked.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
      deadLetters.push(parked);
    };
    const toPlanner: QueryRequest[] = [];
    const settlements: Promise<void>[] = [];
    // The same id twice in one batch (a query produced twice) is routed once and answered twice.
    const toRoute = new Map<string, { query: QueryRequest; messages: KafkaMessage[] }>();
    for (const message of messages) {
      await yieldIfBusy();
      const decoded = decode(Topic.Queries, message.value);
      if (!decoded.ok) {
        park(message, decoded.error);
        continue;
      }
      const query = decoded.value;
      if (query.constraints.mode === 'batch' && !query.constraints.model) {
        toPlanner.push(query);
        continue;
      }
      const key = answerKey(query.scope, query.id);
      const entry = toRoute.get(key) ?? { query, messages: [] };
      entry.messages.push(message);
      toRoute.set(key, entry);
    }

    const stored = await this.answers.find<RoutedResponse, DecisionEvent>(
      [...toRoute.values()].map(({ query }) => ({ scope: query.scope, requestId: query.id })),
    );
    const routed = await Promise.all(
      [...toRoute].map(async ([key, { query, messages: copies }]) => {
        const known = stored.get(key);
        // The stored decision goes out again with the answer: the crash or failed send that
        // caused this redelivery may have lost it, and the aggregator records a decision once.
        if (known)
          return { query, copies, answer: { query, response: known.response, decision: known.decision }, fresh: false };
        try {
          const answer = await this.inFlight(() =>
            this.guard.retrying(() => this.answerWithinCaps(query, receivedAt, settlements), {
              retryIf: (e) => !(e instanceof RoutingRejected) && !this.stopping.signal.aborted,
            }),
          );
          return { query, copies, answer, fresh: true };
        } catch (e) {
          // Stopping or a database that is away: the batch is redelivered (a stop with its own
          // reason, which the log does not count as an error). Anything else is this query's own
          // fault (or a bug it triggers) and must not hold its partition.
          if (this.stopping.signal.aborted) throw this.stopping.signal.reason;
          if (isTransient(e)) throw e;
          if (!(e instanceof RoutingRejected))
            this.log.error({ requestId: query.id, scope: query.scope, err: errorMessage(e) }, 'query failed, parked');
          for (const m of copies) park(m, e);
          return null;
        }
      }),
    );
    const answered = routed.filter((r) => r !== null);
    const replayed = answered.filter((r) => !r.fresh).length;
    if (replayed > 0)
      this.metrics
        .counter('router_answers_replayed_total', 'Redelivered queries answered from their stored answer')
        .inc(replayed);

    // Stored before publishing: if publishing fails, or the router dies before the commit, the
    // redelivered query is re-published from here and no model is called again.
    const fresh: Answer[] = answered.filter((r) => r.fresh).map((r) => r.answer);
    // In chunks: serialising a few thousand answers for one INSERT would hold the event loop.
    const saves: Promise<void>[] = [];
    for (let i = 0; i < fresh.length; i += SAVE_CHUNK) {
      await yieldIfBusy();
      saves.push(this.answers.save(fresh.slice(i, i + SAVE_CHUNK).map(storedAnswer)));
    }
    await Promise.all(saves);

    await Promise.all([
      this.routing.publish(
        answered.flatMap((r) => r.copies.map(() => r.answer)),
        answered.map((r) => r.answer),
        fresh,
      ),
      this.producer.sendMany(Topic.BatchRequests, toPlanner),
      ...deadLetters,
      ...settlements,
    ]);
    // What routing added to each fresh query: consumed to answer acknowledged, model calls excluded.
    const acked = Date.now();
    const added = this.metrics.summary(
      'router_added_latency_seconds',
      'Time the router adds per query: consumed to response acknowledged, model calls excluded',
    );
    for (const a of fresh) added.observe(Math.max(0, acked - receivedAt - (a.modelMs ?? 0)) / 1000);
  }
}

/** A query the scope's hard budget cap refused: answered with the reason, no model called, no decision. */
function cappedAnswer(query: QueryRequest, reason: string): Answer {
  return {
    query,
    decision: null,
    response: {
      id: query.id,
      decisionId: decisionIdFor(query.scope, query.id),
      scope: query.scope,
      model: query.constraints.model ?? 'none',
      output: '',
      costUsd: 0,
      latencyMs: 0,
      error: `insufficient_quota: ${reason}`,
      ts: new Date().toISOString(),
    },
  };
}

function storedAnswer(a: Answer): StoredAnswer {
  return { scope: a.query.scope, requestId: a.query.id, response: a.response, decision: a.decision };
}
