import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { solveBatch } from '@llm-router/batch';
import { QueryRequest, Topic } from '@llm-router/contracts';
import { decisionIdFor } from '@llm-router/engine';
import { MessageProducer } from '@llm-router/kafka';
import { ReplicaService } from '@llm-router/replica';
import { APP_CONFIG, HealthRegistry, MetricsService } from '@llm-router/service';
import { PlannerConfig } from '../config';
import { Window, WindowBuffer } from '../windows/window-buffer';
import { SpendStore } from './spend-store';
import { buildWindowProblem, objectiveFor, periodKey, planFromSolution, POLICY_HALF_WIDTH_LEVEL, windowBudget } from './window-problem';

/** What /health tells about the last window assigned. */
export interface LastWindow {
  batchId: string;
  scope: string;
  at: string;
  queries: number;
  deferred: number;
  solver: string;
  objectiveKind: string;
  objective: number;
  bound: number | null;
  gapPct: number | null;
  solveMs: number;
  feasible: boolean;
  expectedCostUsd: number;
  budgetUsd: number | null;
  warnings: string[];
}

/**
 * Holds batch-mode queries in windows and assigns each window at once as one optimisation
 * (libs/batch) under the window's share of the budget, then hands every query to the router
 * path (llm.queries with the assigned model) so that answers, decisions and rewards flow
 * exactly like per-query traffic.
 */
@Injectable()
export class PlannerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly buffer: WindowBuffer;
  private timer?: NodeJS.Timeout;
  private windowsClosed = 0;
  private windowsFailed = 0;
  private last: LastWindow | null = null;
  /** Ledger totals per scope as of the last window, for /health without a database round trip. */
  private readonly spentByScope = new Map<string, { period: string; spentUsd: number; queries: number }>();
  /**
   * Windows are solved one after another: two windows of a scope solved at once would both
   * read the same budget left and together overspend it.
   */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    @Inject(APP_CONFIG) private readonly config: PlannerConfig,
    private readonly replica: ReplicaService,
    private readonly producer: MessageProducer,
    private readonly spend: SpendStore,
    private readonly log: PinoLogger,
    private readonly metrics: MetricsService,
    health: HealthRegistry,
  ) {
    this.buffer = new WindowBuffer(config.BATCH_WINDOW_SIZE, config.BATCH_WINDOW_MS);
    health.register('windows', () => ({
      ok: true,
      open: this.buffer.summary(),
      closed: this.windowsClosed,
      failed: this.windowsFailed,
      last: this.last,
      budget: this.budgetLeft(Date.now()),
    }));
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      for (const w of this.buffer.due(Date.now())) void this.schedule(w);
    }, 100);
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.chain;
  }

  async enqueue(q: QueryRequest): Promise<void> {
    const w = this.buffer.add(q, Date.now());
    if (w) await this.schedule(w);
  }

  /** Budget left per scope in the current period, as the ledger stood after this planner's last window. */
  budgetLeft(now: number): { periodBudgetUsd: number | null; period: string; scopes: Record<string, { spentUsd: number; leftUsd: number | null }> } {
    const c = this.config;
    const key = periodKey(c.BATCH_BUDGET_PERIOD, now);
    const scopes: Record<string, { spentUsd: number; leftUsd: number | null }> = {};
    for (const [scope, s] of this.spentByScope) {
      const spentUsd = s.period === key ? s.spentUsd : 0;
      scopes[scope] = { spentUsd, leftUsd: c.BATCH_BUDGET_USD == null ? null : Math.max(0, c.BATCH_BUDGET_USD - spentUsd) };
    }
    return { periodBudgetUsd: c.BATCH_BUDGET_USD ?? null, period: key, scopes };
  }

  /** close() never rejects, so one failed window does not break the chain. */
  private schedule(w: Window): Promise<void> {
    this.chain = this.chain.then(() => this.close(w));
    return this.chain;
  }

  private async close(w: Window): Promise<void> {
    const stage = { dispatched: false };
    try {
      await this.assign(w, stage);
      this.windowsClosed += 1;
    } catch (e) {
      this.windowsFailed += 1;
      this.metrics.counter('planner_window_failures_total', 'Batch windows that failed to be assigned').inc();
      // At least once: a window whose dispatch did not complete is planned again (the router's
      // decision ids are derived from the request id, so a re-sent query is still counted once).
      if (!stage.dispatched) this.buffer.requeue(w.queries, Date.now());
      this.log.error({ scope: w.scope, queries: w.queries.length, requeued: !stage.dispatched, err: (e as Error).message }, 'window assignment failed');
    }
  }

  private async assign(w: Window, stage: { dispatched: boolean }): Promise<void> {
    const c = this.config;
    await this.replica.waitForModels();
    const engine = this.replica.engines.get(w.scope);
    const now = Date.now();
    const period = periodKey(c.BATCH_BUDGET_PERIOD, now);
    const ledger = await this.spend.read(w.scope, period);
    const budget = windowBudget({
      periodBudgetUsd: c.BATCH_BUDGET_USD,
      period: c.BATCH_BUDGET_PERIOD,
      spentUsd: ledger.spentUsd,
      queries: ledger.queries,
      expectedQueriesPerPeriod: c.BATCH_EXPECTED_QUERIES,
      windowSize: w.queries.length,
      now,
    });
    const wp = buildWindowProblem(w.queries, engine, { priceOf: (m) => this.replica.engines.price(m), budgetUsd: budget.windowUsd, level: c.BATCH_CONFIDENCE });
    const objectiveKind = objectiveFor(c.BATCH_ROBUST);
    const solution = await solveBatch(wp.problem, {
      solver: c.BATCH_SOLVER,
      timeLimitMs: c.BATCH_TIME_LIMIT_MS,
      objective: objectiveKind,
      level: c.BATCH_CONFIDENCE,
      halfWidthLevel: POLICY_HALF_WIDTH_LEVEL,
    });
    const plan = planFromSolution(wp, solution);
    const batchId = `batch-${w.scope}-${now.toString(36)}-${this.windowsClosed + this.windowsFailed + 1}`;
    const warnings = [...solution.warnings];
    if (budget.windowUsd === null) warnings.push('no BATCH_BUDGET_USD: the budget does not bind');

    const after = await this.spend.add(w.scope, period, plan.expectedCostUsd, plan.assignments.length);
    this.spentByScope.set(w.scope, { period, ...after });

    await this.producer.send(Topic.BatchAssignments, {
      batchId,
      scope: w.scope,
      // The router derives the same id from (scope, request id), so it names the decision it will log.
      assignments: plan.assignments.map((a) => ({ requestId: a.query.id, model: a.model, decisionId: decisionIdFor(w.scope, a.query.id) })),
      objective: solution.objective,
      bound: solution.bound,
      solver: solution.solver,
      solveMs: solution.ms,
      budgetUsd: budget.windowUsd,
      warnings,
      ts: new Date().toISOString(),
    });
    // Dispatch through the router path: an explicit model, so the router logs and answers it.
    await this.producer.sendMany(
      Topic.Queries,
      plan.assignments.map((a) => ({ ...a.query, batchId, constraints: { ...a.query.constraints, mode: 'batch' as const, model: a.model } })),
    );
    stage.dispatched = true;
    if (plan.deferred.length > 0) this.buffer.requeue(plan.deferred, Date.now());

    this.last = {
      batchId,
      scope: w.scope,
      at: new Date(now).toISOString(),
      queries: w.queries.length,
      deferred: plan.deferred.length,
      solver: solution.solver,
      objectiveKind,
      objective: solution.objective,
      bound: solution.bound,
      gapPct: solution.gapPct,
      solveMs: solution.ms,
      feasible: solution.feasible,
      expectedCostUsd: plan.expectedCostUsd,
      budgetUsd: budget.windowUsd,
      warnings,
    };
    this.metrics.counter('planner_windows_total', 'Batch windows assigned', ['solver']).inc({ solver: solution.solver });
    this.metrics.histogram('planner_solve_seconds', 'Time the batch solver took per window', ['solver'], [0.001, 0.01, 0.05, 0.25, 1, 5]).observe({ solver: solution.solver }, solution.ms / 1000);
    this.metrics.counter('planner_deferred_total', 'Queries deferred to a later window for lack of capacity').inc(plan.deferred.length);
    if (c.BATCH_BUDGET_USD != null) {
      this.metrics.gauge('planner_budget_left_usd', 'Batch budget left in the current period', ['scope']).set({ scope: w.scope }, Math.max(0, c.BATCH_BUDGET_USD - after.spentUsd));
    }
    this.log.info(
      { batchId, scope: w.scope, queries: w.queries.length, deferred: plan.deferred.length, solver: solution.solver, objective: solution.objective, gapPct: solution.gapPct, costUsd: plan.expectedCostUsd, budgetUsd: budget.windowUsd, ms: solution.ms },
      'window assigned',
    );
  }
}
