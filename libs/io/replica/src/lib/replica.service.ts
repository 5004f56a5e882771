import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { readFileSync } from 'node:fs';
import { parseDataset, POLICY_SNAPSHOT_MAX_BYTES, Topic } from '@llm-router/contracts';
import { EngineRegistry, primeCosts, ScopeEngine, warmStartEngine, WarmStartRow } from '@llm-router/engine';
import { QueryFeaturizer } from '@llm-router/features';
import { KafkaService, Received, TopicConsumer } from '@llm-router/kafka';
import { HealthRegistry, MetricsService } from '@llm-router/service';
import { ReplicaPacing } from './replica-pacing';

export const REPLICA_OPTIONS = Symbol('REPLICA_OPTIONS');

export interface ReplicaOptions {
  /** Names the consumer group: `<service>-replica-<instance>`. */
  service: string;
  algorithm: string;
  featureDim: number;
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
  /** PACER_PAYBACK_QUERIES (default 200). */
  pacerPayback?: number;
  /**
   * WARM_START_FILE: an offline reward file that primes every new scope's local policy and
   * cost model as the replay's --warm-start does, until the aggregator's snapshot (primed the
   * same way, once) replaces the policy. Costs are not in snapshots, so usage stays primed.
   */
  warmStartFile?: string;
}

type Snapshot = Received<typeof Topic.PolicyUpdates>['value'];

/**
 * A service's in-memory replica of what the fleet learned: prices, catalog and the latest
 * policy snapshot of every scope. Every replica reads the compacted state topics from the
 * beginning in a consumer group of its own, so all replicas converge to the same state.
 */
@Injectable()
export class ReplicaService implements OnApplicationBootstrap, OnModuleDestroy {
  readonly engines: EngineRegistry;
  readonly pacing: ReplicaPacing;
  private readonly warmRows: WarmStartRow[];
  private consumer?: TopicConsumer;
  private readonly latest = new Map<string, Snapshot>();
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
    this.warmRows = warmRows;
    this.engines = new EngineRegistry(
      options,
      new QueryFeaturizer({ dim: options.featureDim }),
      warmRows.length > 0 ? (e: ScopeEngine) => warmStartEngine(e, warmRows) : undefined,
    );
    this.pacing = new ReplicaPacing({
      budgetPerQuery: options.budgetPerQuery ?? null,
      payback: options.pacerPayback ?? 200,
    });
    health.register('pacing', () => ({ ok: true, scopes: this.pacing.summary() }));
    health.register('replica', () => ({
      ok: this.consumer?.hasJoined ?? false,
      models: this.engines.models(),
      scopes: Object.fromEntries(this.engines.scopes().map((s) => [s, this.engines.get(s).version])),
    }));
  }

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = this.kafka.consumer({
      groupId: `${this.options.service}-replica-${this.instanceId}`,
      topics: [Topic.Prices, Topic.Catalog, Topic.PolicyUpdates],
      fromBeginning: true,
      consumerConfig: { maxBytesPerPartition: POLICY_SNAPSHOT_MAX_BYTES, maxBytes: 2 * POLICY_SNAPSHOT_MAX_BYTES },
    });
    await this.consumer.runEach(async (m) => this.apply(m));
    const every = this.options.applyIntervalMs ?? 0;
    if (every > 0) this.timer = setInterval(() => this.applyLatest(), every);
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Applies the newest pending snapshot of every scope. */
  applyLatest(): void {
    for (const [scope, s] of this.latest) {
      this.latest.delete(scope);
      const engine = this.engines.get(scope);
      if (engine.applySnapshot(s)) {
        this.pacing.applyFleetBudget(scope, s.budgetPerQueryUsd, engine.lambda);
        this.metrics
          .gauge('router_policy_version', 'Policy version applied per scope', ['scope'])
          .set({ scope }, s.version);
      }
    }
  }

  /** Resolves once at least one model is priced (a router that just started has not read model.prices yet). */
  async waitForModels(timeoutMs = 20000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.engines.models().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
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
      case Topic.PolicyUpdates: {
        const s = m.value as Snapshot;
        const pending = this.latest.get(s.scope);
        if (!pending || pending.version < s.version) this.latest.set(s.scope, s);
        // A scope seen for the first time is applied at once: routing it with an empty policy would waste traffic.
        if (!this.options.applyIntervalMs || !this.engines.has(s.scope)) this.applyLatest();
        break;
      }
    }
  }
}
