import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { Consumer } from 'kafkajs';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseDataset, POLICY_SNAPSHOT_MAX_BYTES, Topic } from '@llm-router/contracts';
import { EngineRegistry, primeCosts, ScopeEngine, WarmStartRow, WarmStartTemplates } from '@llm-router/engine';
import { QueryFeaturizer } from '@llm-router/features';
import { KafkaService, Received, TopicConsumer } from '@llm-router/kafka';
import { HealthRegistry, MetricsService } from '@llm-router/service';
import { ReplicaPacing } from './replica-pacing';
import { SnapshotDecoder } from './snapshot-decoder';

export const REPLICA_OPTIONS = Symbol('REPLICA_OPTIONS');

export interface ReplicaOptions {
  /** Names the consumer group: `<service>-replica-<instance>`. */
  service: string;
  algorithm: string;
  featureDim: number;
  /** EMBEDDING_DIM: the embedding block after the hashed features (decide() is given it per query). */
  embeddingDim?: number;
  seed: number;
  defaultLambda: number;
  scopePolicies?: Record<string, string>;
  /**
   * Snapshots are applied at most this often per scope (the newest one wins). Restoring a
   * large contextual policy costs tens of milliseconds; applying every debounced snapshot
   * would spend the router's time there instead of routing. 0 applies each at once.
   */
  applyIntervalMs?: number;
  /** BUDGET_PER_QUERY_USD: this replica paces its own decisions against it (ReplicaPacing). */
  budgetPerQuery?: number | null;
  /** PACER_PAYBACK_QUERIES (default 50). */
  pacerPayback?: number;
  /**
   * WARM_START_FILE: an offline reward file that primes every new scope's local policy and
   * cost model as the replay's --warm-start does, until the aggregator's snapshot (primed the
   * same way, once) replaces the policy. Costs are not in snapshots, so usage stays primed.
   */
  warmStartFile?: string;
}

type Snapshot = Received<typeof Topic.PolicyUpdates>['value'];

/** Not a scope anyone routes: the engine the default policy's warm start is fitted on at start. */
const WARM_START_TEMPLATE_SCOPE = '\u0000warm-start';

/**
 * A service's in-memory replica of what the fleet learned: prices, catalog and the latest
 * policy snapshot of every scope. Every replica reads the compacted state topics from the
 * beginning in a consumer group of its own, so all replicas converge to the same state.
 *
 * Snapshots never hold the event loop (docs/decisions/0018): their records go as bytes to a
 * worker thread (SnapshotDecoder), which decodes and validates them and hands back typed
 * arrays; while one of a scope is being decoded only the newest arriving is kept. The swap
 * into the engine is one synchronous step here, on the main thread.
 */
@Injectable()
export class ReplicaService implements OnApplicationBootstrap, OnModuleDestroy {
  readonly engines: EngineRegistry;
  readonly pacing: ReplicaPacing;
  /** WARM_START_FILE's rows, fitted once per policy (null: no file, or an empty one). */
  private readonly warmStart: WarmStartTemplates | null;
  private readonly stopping = new AbortController();
  private consumer?: TopicConsumer;
  private snapshotConsumer?: Consumer;
  private readonly decoder = new SnapshotDecoder();
  private readonly latest = new Map<string, Snapshot>();
  /** Per scope: rewards the fleet had applied when the snapshot in use was taken. */
  private readonly applied = new Map<string, number>();
  /** Per scope: when the snapshot in use was published (ms since the epoch). */
  private readonly publishedAt = new Map<string, number>();
  /** Per scope with no snapshot in use yet: when this replica first decided on it (its policy has learnt no reward since). */
  private readonly decidingSince = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private readonly instanceId = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(
    @Inject(REPLICA_OPTIONS) private readonly options: ReplicaOptions,
    private readonly kafka: KafkaService,
    private readonly log: PinoLogger,
    private readonly metrics: MetricsService,
    health: HealthRegistry,
  ) {
    const warmRows: WarmStartRow[] = options.warmStartFile
      ? parseDataset(readFileSync(options.warmStartFile, 'utf8'))
      : [];
    const templates = warmRows.length > 0 ? new WarmStartTemplates(warmRows) : null;
    this.warmStart = templates;
    // Every replica decides on a random stream of its own (EngineOptions.replicaSalt): replicas
    // share POLICY_SEED, and two routers drawing alike explore as one.
    this.engines = new EngineRegistry(
      { ...options, replicaSalt: randomInt(2 ** 31) },
      new QueryFeaturizer({ dim: options.featureDim }),
      templates ? (e: ScopeEngine) => templates.prime(e) : undefined,
    );
    this.pacing = new ReplicaPacing({
      budgetPerQuery: options.budgetPerQuery ?? null,
      payback: options.pacerPayback ?? 100,
    });
    health.register('pacing', () => ({ ok: true, scopes: this.pacing.summary() }));
    health.register('replica', () => ({
      ok: (this.consumer?.hasJoined ?? false) && this.snapshotsJoined,
      models: this.engines.models(),
      scopes: Object.fromEntries(this.engines.scopes().map((s) => [s, this.engines.get(s).version])),
    }));
  }

  async onApplicationBootstrap(): Promise<void> {
    const groupId = `${this.options.service}-replica-${this.instanceId}`;
    this.consumer = this.kafka.consumer({ groupId, topics: [Topic.Prices, Topic.Catalog], fromBeginning: true });
    await this.consumer.runEach(async (m) => this.apply(m));
    await Promise.all([this.decoder.ready(), this.consumeSnapshots(`${groupId}-snapshots`)]);
    const every = this.options.applyIntervalMs ?? 0;
    if (every > 0) this.timer = setInterval(() => this.applyLatest(), every);
    void this.fitWarmStart();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping.abort();
    clearInterval(this.timer);
    await this.snapshotConsumer?.disconnect().catch(() => undefined);
    await this.decoder.close();
  }

  private snapshotsJoined = false;

  /**
   * policy.updates as raw bytes (a plain kafkajs consumer: TopicConsumer would decode them
   * here): each record is handed to the decoder without waiting for it, so a burst coalesces
   * there. Offsets need no care: the group is this instance's own and reads from the start.
   */
  private async consumeSnapshots(groupId: string): Promise<void> {
    const guard = this.kafka.guard(groupId);
    const consumer = this.kafka.kafka.consumer({
      groupId,
      sessionTimeout: 15000,
      heartbeatInterval: 1500,
      maxBytesPerPartition: POLICY_SNAPSHOT_MAX_BYTES,
      maxBytes: 2 * POLICY_SNAPSHOT_MAX_BYTES,
    });
    this.snapshotConsumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => (this.snapshotsJoined = true));
    consumer.on(consumer.events.CRASH, () => (this.snapshotsJoined = false));
    await consumer.connect();
    await consumer.subscribe({ topics: [Topic.PolicyUpdates], fromBeginning: true });
    const decoded = this.snapshotOutcomes();
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        // A tombstone deletes a scope's snapshot from the compacted topic; it is not a bad message.
        if (!message.value) return;
        const scope = message.key?.toString('utf8') ?? '';
        void this.decoder.decode(scope, message.value).then(async (d) => {
          if (d.ok) decoded.inc({ outcome: this.offer(d.snapshot) ? 'applied' : 'stale' });
          else if ('superseded' in d) decoded.inc({ outcome: 'superseded' });
          else {
            decoded.inc({ outcome: 'invalid' });
            await guard
              .deadLetter(topic, partition, message, new Error(d.error))
              .catch((e) => this.log.error({ err: (e as Error).message }, 'could not dead-letter a snapshot'));
          }
        });
      },
    });
  }

  private snapshotOutcomes() {
    return this.metrics.counter(
      'replica_snapshots_total',
      'policy.updates records by outcome (applied, superseded: a newer one came first, stale, invalid, unrestorable)',
      ['outcome'],
    );
  }

  /** Applies the newest pending snapshot of every scope. */
  applyLatest(): void {
    for (const [scope, s] of this.latest) this.applyPending(scope, s);
  }

  private applyPending(scope: string, s: Snapshot): void {
    this.latest.delete(scope);
    // Runs on a timer or a waiting planner's poll: one snapshot that cannot be restored must not take the process down.
    try {
      const engine = this.engines.get(scope);
      if (engine.applySnapshot(s, { ownRandomness: true })) {
        const publishedAt = Date.parse(s.ts);
        this.applied.set(scope, s.rewardsApplied);
        this.publishedAt.set(scope, publishedAt);
        this.decidingSince.delete(scope);
        this.pacing.applyFleetBudget(scope, s.budgetPerQueryUsd, engine.lambda, s.decisionsRecorded);
        this.metrics
          .gauge('router_policy_version', 'Policy version applied per scope', ['scope'])
          .set({ scope }, s.version);
        // With the aggregator's aggregator_reward_publish_delay_seconds: how old the rewards are that this replica decides on.
        this.metrics
          .summary(
            'replica_snapshot_apply_delay_seconds',
            'From the publication of a policy snapshot to its use by this replica (transport, decoding, SNAPSHOT_APPLY_MS)',
          )
          .observe(Math.max(0, Date.now() - publishedAt) / 1000);
      }
    } catch (e) {
      this.snapshotOutcomes().inc({ outcome: 'unrestorable' });
      this.log.error({ scope, version: s.version, err: (e as Error).message }, 'policy snapshot could not be applied');
    }
  }

  /**
   * rewardsApplied, after putting in the scope's pending snapshot first when it has learned from
   * at least `wanted` rewards: a planner waiting for a window's feedback plans as soon as a
   * snapshot with it has arrived, not at the next SNAPSHOT_APPLY_MS tick.
   */
  rewardsAppliedReaching(scope: string, wanted: number): number {
    const pending = this.latest.get(scope);
    if (pending && pending.rewardsApplied >= wanted && this.rewardsApplied(scope) < wanted)
      this.applyPending(scope, pending);
    return this.rewardsApplied(scope);
  }

  /**
   * Fits the warm start of the default policy, and of each scope's own (SCOPE_POLICIES), as soon
   * as models are priced, so that the first query of a scope restores it (milliseconds) instead
   * of fitting it inside its own request (0.5-0.9 s of the event loop for `auto` on ~900 rows,
   * every request in flight waiting). Scopes with the same policy share one fit.
   */
  private async fitWarmStart(): Promise<void> {
    const templates = this.warmStart;
    if (!templates) return;
    const priced = await this.waitForModelsOrStop(this.stopping.signal).catch(() => false);
    if (!priced || this.engines.models().length === 0) return;
    const started = performance.now();
    for (const scope of [WARM_START_TEMPLATE_SCOPE, ...Object.keys(this.options.scopePolicies ?? {})])
      if (!this.stopping.signal.aborted) templates.fit(this.engines.detached(scope));
    this.log.info(
      { rows: this.warmRows.length, fits: templates.size, ms: Math.round(performance.now() - started) },
      'warm start fitted',
    );
  }

  private get warmRows(): readonly WarmStartRow[] {
    return this.warmStart?.rows ?? [];
  }

  /** The warm-start file's prompts (WARM_START_FILE; none without one): the offline picture of the traffic. */
  warmStartPrompts(): string[] {
    return this.warmRows.map((r) => r.prompt);
  }

  /**
   * For a decision made now: how long ago the snapshot of the scope's policy in use was published,
   * in seconds (the rewards it knows are older still: aggregator_reward_publish_delay_seconds).
   * Before the scope's first snapshot, how long this replica has decided on it: its policy has
   * learnt no reward of those decisions. Called at each decision (the first one starts that clock).
   */
  policyAgeAtDecision(scope: string): number {
    const now = Date.now();
    let at = this.publishedAt.get(scope);
    if (at === undefined) {
      at = this.decidingSince.get(scope);
      if (at === undefined) this.decidingSince.set(scope, (at = now));
    }
    return Math.max(0, now - at) / 1000;
  }

  /**
   * Rewards the scope's policy in use has learned from, fleet-wide (0 before its first snapshot):
   * a planner that waits for it to pass a mark knows its policy has seen that feedback.
   */
  rewardsApplied(scope: string): number {
    return this.applied.get(scope) ?? 0;
  }

  /**
   * Resolves once at least one model is priced (a router that just started has not read
   * model.prices yet); rejects when `signal` aborts, so that a stopping router does not wait.
   */
  async waitForModels(timeoutMs = 20000, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.engines.models().length === 0 && Date.now() < deadline) await sleep(100, undefined, { signal });
  }

  /**
   * waitForModels for a caller to whom a stop is an outcome rather than a failure (an HTTP
   * request answered 503, a batch window left pending): false when `signal` ended the wait.
   */
  waitForModelsOrStop(signal: AbortSignal, timeoutMs?: number): Promise<boolean> {
    return this.waitForModels(timeoutMs, signal).then(
      () => true,
      (e: unknown) => {
        if (signal.aborted) return false;
        throw e;
      },
    );
  }

  apply(m: Received): void {
    switch (m.topic) {
      case Topic.Prices: {
        const p = m.value as Received<typeof Topic.Prices>['value'];
        const known = this.engines.models().includes(p.model);
        this.engines.applyPrice(p);
        // A model priced after its scope was warm-started gets its offline usage now.
        if (!known && this.warmRows.length > 0)
          for (const scope of this.engines.scopes())
            primeCosts(this.engines.get(scope), this.warmRows, new Set([p.model]));
        this.log.info({ model: p.model, inputPerM: p.inputPerM, outputPerM: p.outputPerM }, 'price applied');
        break;
      }
      case Topic.Catalog: {
        const c = m.value as Received<typeof Topic.Catalog>['value'];
        this.engines.applyCatalog(c.model, c.action);
        this.log.info({ model: c.model, action: c.action }, 'catalog change applied');
        break;
      }
      case Topic.PolicyUpdates:
        this.offer(m.value as Snapshot);
        break;
    }
  }

  /** A decoded snapshot: kept as its scope's newest pending one, applied now or on the next tick. False: older than what is known. */
  private offer(s: Snapshot): boolean {
    const pending = this.latest.get(s.scope);
    const known = this.engines.has(s.scope) ? this.engines.get(s.scope).version : -1;
    if (s.version <= known || (pending && pending.version >= s.version)) return false;
    this.latest.set(s.scope, s);
    const seen = this.engines.has(s.scope);
    if (appliesAtOnce(this.options.applyIntervalMs ?? 0, seen, this.rewardsApplied(s.scope), s.rewardsApplied))
      this.applyLatest();
    return true;
  }
}

/**
 * Whether a scope's newest snapshot replaces its policy now rather than at the next tick of
 * SNAPSHOT_APPLY_MS. At once: without an interval, for a scope this replica has not routed yet
 * (an empty policy would waste its traffic), and when the snapshot has learned from more than
 * twice the rewards of the policy in use. The last rule is for a cold scope: its first rewards
 * change its decisions most, and at 100 queries/s a one-second tick left the first ~250
 * decisions on the priors while tens of snapshots waited. Doubling bounds the extra restores
 * to log2 of the rewards (about 20 in a scope's life), so the interval still rules thereafter.
 */
export function appliesAtOnce(intervalMs: number, seen: boolean, rewardsInUse: number, rewardsInSnapshot: number) {
  return intervalMs <= 0 || !seen || rewardsInSnapshot > 2 * rewardsInUse;
}
