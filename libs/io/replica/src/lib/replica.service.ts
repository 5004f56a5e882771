import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { POLICY_SNAPSHOT_MAX_BYTES, Topic } from '@llm-router/contracts';
import { EngineRegistry } from '@llm-router/engine';
import { QueryFeaturizer } from '@llm-router/features';
import { KafkaService, Received, TopicConsumer } from '@llm-router/kafka';
import { HealthRegistry, MetricsService } from '@llm-router/service';

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
    this.engines = new EngineRegistry(options, new QueryFeaturizer({ dim: options.featureDim }));
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
      if (this.engines.get(scope).applySnapshot(s)) {
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
        this.engines.applyPrice(p);
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
