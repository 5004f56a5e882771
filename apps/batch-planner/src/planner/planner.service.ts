import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { QueryRequest, Topic } from '@llm-router/contracts';
import { MessageProducer } from '@llm-router/kafka';
import { ReplicaService } from '@llm-router/replica';
import { APP_CONFIG, HealthRegistry, MetricsService } from '@llm-router/service';
import { PlannerConfig } from '../config';
import { Window, WindowBuffer } from '../windows/window-buffer';

/**
 * Holds batch-mode queries in windows and assigns each window at once, then hands every
 * query to the router path (llm.queries with the assigned model) so that answers, decisions
 * and rewards flow exactly like per-query traffic.
 */
@Injectable()
export class PlannerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly buffer: WindowBuffer;
  private timer?: NodeJS.Timeout;
  private windowsClosed = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: PlannerConfig,
    private readonly replica: ReplicaService,
    private readonly producer: MessageProducer,
    private readonly log: PinoLogger,
    private readonly metrics: MetricsService,
    health: HealthRegistry,
  ) {
    this.buffer = new WindowBuffer(config.BATCH_WINDOW_SIZE, config.BATCH_WINDOW_MS);
    health.register('windows', () => ({ ok: true, open: this.buffer.summary(), closed: this.windowsClosed }));
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      for (const w of this.buffer.due(Date.now())) void this.close(w);
    }, 100);
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async enqueue(q: QueryRequest): Promise<void> {
    const w = this.buffer.add(q, Date.now());
    if (w) await this.close(w);
  }

  private async close(w: Window): Promise<void> {
    this.windowsClosed += 1;
    const t0 = performance.now();
    await this.replica.waitForModels();
    const engine = this.replica.engines.get(w.scope);
    const batchId = `batch-${w.scope}-${Date.now().toString(36)}-${this.windowsClosed}`;
    const assignments = w.queries.map((q) => {
      const d = engine.decide(q);
      return { requestId: q.id, model: d.event.arm, decisionId: d.event.decisionId, score: d.event.scores[d.event.arm] ?? 0 };
    });
    const ms = performance.now() - t0;
    await this.producer.send(Topic.BatchAssignments, {
      batchId,
      scope: w.scope,
      assignments: assignments.map(({ requestId, model, decisionId }) => ({ requestId, model, decisionId })),
      objective: assignments.reduce((s, a) => s + a.score, 0),
      bound: null,
      solver: 'per-query',
      solveMs: ms,
      budgetUsd: null,
      warnings: [],
      ts: new Date().toISOString(),
    });
    // Dispatch through the router path: an explicit model, so the router logs and answers it.
    await this.producer.sendMany(
      Topic.Queries,
      w.queries.map((q, i) => ({ ...q, constraints: { ...q.constraints, mode: 'batch' as const, model: assignments[i].model } })),
    );
    this.metrics.counter('planner_windows_total', 'Batch windows assigned', ['solver']).inc({ solver: 'per-query' });
    this.log.info({ batchId, scope: w.scope, queries: w.queries.length, ms }, 'window assigned');
  }
}
